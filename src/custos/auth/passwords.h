// Passwords: Argon2id hashes (libsodium, PHC string format) and the password policy.
//
// Policy, after NIST SP 800-63B §5.1.1.2: at least 12 characters, at most 128, not containing
// the username, not one of the commonly used passwords; no composition rules, no expiry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "custos/core/status.h"

namespace custos::auth {

struct PasswordHashCost {
  std::int64_t ops_limit = 2;               // libsodium crypto_pwhash_OPSLIMIT_INTERACTIVE
  std::int64_t mem_limit_bytes = 64 << 20;  // crypto_pwhash_MEMLIMIT_INTERACTIVE
};

// kInvalidArgument (field "password", or `field`) explaining what the policy wants.
Status CheckPasswordPolicy(std::string_view password, std::string_view username,
                           std::string_view field = "password");

// The Argon2id hash of `password`; kResourceExhausted when memory for hashing is short.
Result<std::string> HashPassword(std::string_view password, const PasswordHashCost& cost);
// True when `password` matches `hash`. Takes as long as hashing does.
bool VerifyPassword(std::string_view password, std::string_view hash);
// Spends the time a verification would, for unknown usernames (so timing reveals nothing).
void VerifyDummyPassword(std::string_view password);

}  // namespace custos::auth
