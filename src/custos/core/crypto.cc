#include "custos/core/crypto.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <memory>

#include "custos/core/status.h"

namespace custos {

namespace {
struct SodiumInit {
  SodiumInit() { CUSTOS_CHECK(sodium_init() >= 0); }
};
void EnsureSodium() { static SodiumInit init; }
}  // namespace

namespace {
// OpenSSL 3 looks an algorithm up (under a lock) whenever it is named implicitly; fetching it once
// keeps hashing lock-free, which matters when verifying a million audit events.
const EVP_MD* Sha256Algorithm() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  CUSTOS_CHECK(md != nullptr);
  return md;
}
}  // namespace

Sha256Digest Sha256(std::string_view data) {
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                               &EVP_MD_CTX_free);
  Sha256Digest digest;
  unsigned int length = 0;
  CUSTOS_CHECK(EVP_DigestInit_ex2(context.get(), Sha256Algorithm(), nullptr) == 1);
  CUSTOS_CHECK(EVP_DigestUpdate(context.get(), data.data(), data.size()) == 1);
  CUSTOS_CHECK(EVP_DigestFinal_ex(context.get(), digest.data(), &length) == 1);
  return digest;
}

Sha256Hasher::Sha256Hasher() : context_(EVP_MD_CTX_new()) {
  CUSTOS_CHECK(EVP_DigestInit_ex2(static_cast<EVP_MD_CTX*>(context_), Sha256Algorithm(), nullptr) ==
               1);
}
Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_)); }
void Sha256Hasher::Update(std::string_view data) {
  CUSTOS_CHECK(EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context_), data.data(), data.size()) == 1);
}
Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest digest;
  unsigned int length = 0;
  CUSTOS_CHECK(EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(context_), digest.data(), &length) == 1);
  return digest;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0xf];
  }
  return out;
}

bool HexDecode(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.assign(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<char>((hi << 4) | lo);
  }
  return true;
}

std::string Base64UrlEncode(std::string_view bytes) {
  EnsureSodium();
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  EnsureSodium();
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

std::string RandomBytes(size_t count) {
  EnsureSodium();
  std::string out(count, '\0');
  randombytes_buf(out.data(), count);
  return out;
}

std::string NewSecretToken() { return Base64UrlEncode(RandomBytes(32)); }

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  EnsureSodium();
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace custos
