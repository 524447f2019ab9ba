// TOTP second factor (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), on liboath.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "custos/core/clock.h"
#include "custos/core/status.h"

namespace custos::auth {

// A new random secret (160 bits), base32 as authenticator apps expect.
std::string NewTotpSecret();
// otpauth://totp/Custos:<username>?secret=…&issuer=Custos, the content of the enrolment QR code.
std::string TotpUri(std::string_view username, std::string_view base32_secret);
// The QR code of `text` as a standalone SVG document.
Result<std::string> QrCodeSvg(std::string_view text);

// The code for the step containing `at`.
Result<std::string> TotpCode(std::string_view base32_secret, Timestamp at);

// Checks `code` against the steps around `at` (one step of clock drift either way). Returns the
// matched step number, which must be larger than the last accepted one so that a code cannot be
// used twice; nullopt when the code does not match.
std::optional<std::int64_t> MatchTotp(std::string_view base32_secret, std::string_view code,
                                      Timestamp at);

}  // namespace custos::auth
