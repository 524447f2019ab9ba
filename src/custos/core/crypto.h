// Small cryptographic building blocks shared by every module: SHA-256 (OpenSSL), random bytes and
// constant-time comparison (libsodium), and the text encodings we store them in.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace custos {

using Sha256Digest = std::array<std::uint8_t, 32>;

Sha256Digest Sha256(std::string_view data);
// Incremental SHA-256 for data that arrives in pieces. Not thread-safe; one per use.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view data);
  Sha256Digest Finish();

 private:
  void* context_;  // EVP_MD_CTX*
};

std::string HexEncode(std::string_view bytes);
template <size_t N>
std::string HexEncode(const std::array<std::uint8_t, N>& bytes) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(bytes.data()), N));
}
// False when `hex` is not an even-length string of hex digits.
bool HexDecode(std::string_view hex, std::string& out);

std::string Base64UrlEncode(std::string_view bytes);  // no padding
std::string Base64Encode(std::string_view bytes);     // with padding

// `count` bytes from the operating system's CSPRNG.
std::string RandomBytes(size_t count);
// A fresh secret token: 32 random bytes, base64url (43 characters).
std::string NewSecretToken();
// Compares in time that depends only on the lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace custos
