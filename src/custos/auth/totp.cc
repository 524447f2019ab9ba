#include "custos/auth/totp.h"

#include <liboath/oath.h>
#include <qrencode.h>

#include <cstdlib>
#include <mutex>

#include "custos/core/crypto.h"

namespace custos::auth {

namespace {

constexpr unsigned kStepSeconds = 30;
constexpr unsigned kDigits = 6;

void EnsureOath() {
  static std::once_flag once;
  std::call_once(once, [] { oath_init(); });
}

std::optional<std::string> DecodeSecret(std::string_view base32) {
  EnsureOath();
  char* raw = nullptr;
  size_t length = 0;
  const std::string terminated(base32);
  if (oath_base32_decode(terminated.c_str(), terminated.size(), &raw, &length) != OATH_OK)
    return std::nullopt;
  std::string secret(raw, length);
  std::free(raw);
  return secret;
}

std::int64_t UnixSeconds(Timestamp at) {
  return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string NewTotpSecret() {
  EnsureOath();
  const std::string secret = RandomBytes(20);
  char* encoded = nullptr;
  size_t length = 0;
  CUSTOS_CHECK(oath_base32_encode(secret.data(), secret.size(), &encoded, &length) == OATH_OK);
  std::string out(encoded, length);
  std::free(encoded);
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

std::string TotpUri(std::string_view username, std::string_view base32_secret) {
  return "otpauth://totp/Custos:" + UrlEncode(username) + "?secret=" + std::string(base32_secret) +
         "&issuer=Custos&algorithm=SHA1&digits=6&period=30";
}

Result<std::string> QrCodeSvg(std::string_view text) {
  const std::string terminated(text);
  QRcode* code = QRcode_encodeString(terminated.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (code == nullptr) return Status::Internal("cannot make a QR code");
  const int quiet = 4;
  const int size = code->width + 2 * quiet;
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    std::to_string(size) + " " + std::to_string(size) +
                    "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" "
                    "height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
  for (int y = 0; y < code->width; ++y) {
    for (int x = 0; x < code->width; ++x) {
      if (code->data[y * code->width + x] & 1) {
        svg += "M" + std::to_string(x + quiet) + " " + std::to_string(y + quiet) + "h1v1h-1z";
      }
    }
  }
  svg += "\"/></svg>";
  QRcode_free(code);
  return svg;
}

Result<std::string> TotpCode(std::string_view base32_secret, Timestamp at) {
  const auto secret = DecodeSecret(base32_secret);
  if (!secret) return Status::InvalidArgument("TOTP secret is not base32", "secret");
  char code[kDigits + 1] = {};
  if (oath_totp_generate(secret->data(), secret->size(), UnixSeconds(at), kStepSeconds, 0, kDigits,
                         code) != OATH_OK) {
    return Status::Internal("cannot compute TOTP code");
  }
  return std::string(code);
}

std::optional<std::int64_t> MatchTotp(std::string_view base32_secret, std::string_view code,
                                      Timestamp at) {
  if (code.size() != kDigits) return std::nullopt;
  const auto secret = DecodeSecret(base32_secret);
  if (!secret) return std::nullopt;
  const std::string terminated(code);
  int position = 0;
  const int rc =
      oath_totp_validate2(secret->data(), secret->size(), UnixSeconds(at), kStepSeconds, 0,
                          /*window=*/1, &position, terminated.c_str());
  if (rc < 0) return std::nullopt;
  return UnixSeconds(at) / kStepSeconds + position;
}

}  // namespace custos::auth
