#include "custos/auth/passwords.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace custos::auth {

namespace {

constexpr size_t kMinLength = 12;
constexpr size_t kMaxLength = 128;

// The most common passwords of at least 12 characters in public breach corpora.
constexpr std::array<std::string_view, 24> kCommonPasswords = {
    "123456789012", "1234567890123", "qwertyuiopas",     "password1234", "passwordpassword",
    "123123123123", "111111111111",  "000000000000",     "iloveyou1234", "qwerty123456",
    "1q2w3e4r5t6y", "abcdefghijkl",  "letmein12345",     "welcome12345", "administrator",
    "changeme1234", "password12345", "qwertyuiop123",    "1qaz2wsx3edc", "zaq12wsxcde3",
    "passw0rd1234", "p@ssw0rd1234",  "trustno1trustno1", "monkey123456",
};

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

}  // namespace

Status CheckPasswordPolicy(std::string_view password, std::string_view username,
                           std::string_view field) {
  const std::string name(field);
  if (password.size() < kMinLength) {
    return Status::InvalidArgument("password must be at least 12 characters", name);
  }
  if (password.size() > kMaxLength) {
    return Status::InvalidArgument("password must be at most 128 characters", name);
  }
  const std::string lower = Lower(password);
  if (!username.empty() && lower.find(Lower(username)) != std::string::npos) {
    return Status::InvalidArgument("password must not contain the username", name);
  }
  if (std::find(kCommonPasswords.begin(), kCommonPasswords.end(), lower) !=
      kCommonPasswords.end()) {
    return Status::InvalidArgument("password is too common; choose another", name);
  }
  if (std::all_of(password.begin(), password.end(), [&](char c) { return c == password[0]; })) {
    return Status::InvalidArgument("password must not repeat one character", name);
  }
  return Status::Ok();
}

Result<std::string> HashPassword(std::string_view password, const PasswordHashCost& cost) {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to start");
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(
          hash, password.data(), password.size(), static_cast<unsigned long long>(cost.ops_limit),
          static_cast<size_t>(cost.mem_limit_bytes), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status::ResourceExhausted("not enough memory to hash the password");
  }
  return std::string(hash);
}

bool VerifyPassword(std::string_view password, std::string_view hash) {
  if (sodium_init() < 0) return false;
  const std::string terminated(hash);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

void VerifyDummyPassword(std::string_view password) {
  static const std::string dummy = [] {
    auto hashed = HashPassword("custos-dummy-password", PasswordHashCost{});
    return hashed.ok() ? *hashed : std::string();
  }();
  (void)VerifyPassword(password, dummy);
}

}  // namespace custos::auth
