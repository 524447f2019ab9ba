#include "custos/core/ids.h"

#include <cstdint>

#include "custos/core/crypto.h"

namespace custos {

std::string NewId(Timestamp now) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  const auto millis = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
  const std::string random = RandomBytes(10);
  // 128 bits: time in the top 48, randomness in the low 80.
  unsigned __int128 value = static_cast<unsigned __int128>(millis & 0xFFFFFFFFFFFFULL) << 80;
  for (size_t i = 0; i < random.size(); ++i) {
    value |= static_cast<unsigned __int128>(static_cast<unsigned char>(random[i])) << (8 * (9 - i));
  }
  std::string id(26, '0');
  for (int i = 25; i >= 0; --i) {
    id[static_cast<size_t>(i)] = kAlphabet[static_cast<unsigned>(value & 31)];
    value >>= 5;
  }
  return id;
}

}  // namespace custos
