#include "custos/auth/totp.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "testing/status_matchers.h"

namespace custos::auth {
namespace {

// RFC 6238 Appendix B: the SHA-1 secret is the ASCII "12345678901234567890".
constexpr std::string_view kRfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

Timestamp At(std::int64_t unix_seconds) { return Timestamp(std::chrono::seconds(unix_seconds)); }

TEST(TotpTest, MatchesRfc6238Sha1Vectors) {
  // The RFC's values have 8 digits; ours are their last 6.
  const std::pair<std::int64_t, std::string_view> vectors[] = {
      {59, "287082"},         {1111111109, "081804"}, {1111111111, "050471"},
      {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
  };
  for (const auto& [time, expected] : vectors) {
    auto code = TotpCode(kRfcSecret, At(time));
    ASSERT_OK(code);
    EXPECT_EQ(*code, expected) << "T=" << time;
  }
}

TEST(TotpTest, CodeIsTheSameThroughoutAStep) {
  auto first = TotpCode(kRfcSecret, At(1111111110));  // step 37037037 starts here
  auto last = TotpCode(kRfcSecret, At(1111111139));
  auto next = TotpCode(kRfcSecret, At(1111111140));
  ASSERT_OK(first);
  ASSERT_OK(last);
  ASSERT_OK(next);
  EXPECT_EQ(*first, *last);
  EXPECT_NE(*first, *next);
}

TEST(TotpTest, RefusesASecretThatIsNotBase32) {
  EXPECT_FALSE(TotpCode("not base32!", At(59)).ok());
  EXPECT_FALSE(MatchTotp("not base32!", "287082", At(59)).has_value());
}

TEST(TotpTest, MatchReturnsTheStepNumber) {
  const std::int64_t now = 1234567890;
  auto code = TotpCode(kRfcSecret, At(now));
  ASSERT_OK(code);
  const auto step = MatchTotp(kRfcSecret, *code, At(now));
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(*step, now / 30);
}

TEST(TotpTest, AcceptsOneStepOfDriftEitherWay) {
  const std::int64_t now = 1234567890;
  const std::int64_t step = now / 30;
  auto previous = TotpCode(kRfcSecret, At(now - 30));
  auto next = TotpCode(kRfcSecret, At(now + 30));
  ASSERT_OK(previous);
  ASSERT_OK(next);
  const auto matched_previous = MatchTotp(kRfcSecret, *previous, At(now));
  const auto matched_next = MatchTotp(kRfcSecret, *next, At(now));
  ASSERT_TRUE(matched_previous.has_value());
  ASSERT_TRUE(matched_next.has_value());
  EXPECT_EQ(*matched_previous, step - 1);
  EXPECT_EQ(*matched_next, step + 1);
}

TEST(TotpTest, RefusesTwoStepsOfDrift) {
  const std::int64_t now = 1234567890;
  auto old_code = TotpCode(kRfcSecret, At(now - 60));
  auto future_code = TotpCode(kRfcSecret, At(now + 60));
  ASSERT_OK(old_code);
  ASSERT_OK(future_code);
  // Guard against the codes coinciding with one inside the window.
  for (int d = -1; d <= 1; ++d) {
    ASSERT_NE(*old_code, *TotpCode(kRfcSecret, At(now + 30 * d)));
    ASSERT_NE(*future_code, *TotpCode(kRfcSecret, At(now + 30 * d)));
  }
  EXPECT_FALSE(MatchTotp(kRfcSecret, *old_code, At(now)).has_value());
  EXPECT_FALSE(MatchTotp(kRfcSecret, *future_code, At(now)).has_value());
}

TEST(TotpTest, RefusesWrongLengthAndGarbage) {
  EXPECT_FALSE(MatchTotp(kRfcSecret, "", At(59)).has_value());
  EXPECT_FALSE(MatchTotp(kRfcSecret, "28708", At(59)).has_value());
  EXPECT_FALSE(MatchTotp(kRfcSecret, "2870820", At(59)).has_value());
  EXPECT_FALSE(MatchTotp(kRfcSecret, "94287082", At(59)).has_value());  // the RFC's 8-digit form
  EXPECT_FALSE(MatchTotp(kRfcSecret, "abcdef", At(59)).has_value());
  EXPECT_FALSE(MatchTotp(kRfcSecret, "28708x", At(59)).has_value());
  EXPECT_FALSE(MatchTotp(kRfcSecret, "287083", At(59)).has_value());
  EXPECT_TRUE(MatchTotp(kRfcSecret, "287082", At(59)).has_value());
}

TEST(TotpTest, NewSecretIsThirtyTwoBase32Characters) {
  std::set<std::string> secrets;
  for (int i = 0; i < 5; ++i) {
    const std::string secret = NewTotpSecret();
    EXPECT_EQ(secret.size(), 32u) << secret;
    for (char c : secret) {
      EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')) << secret;
    }
    EXPECT_OK(TotpCode(secret, At(59)));  // usable as a secret
    secrets.insert(secret);
  }
  EXPECT_EQ(secrets.size(), 5u);
}

TEST(TotpTest, UriNamesIssuerUserAndSecret) {
  const std::string uri = TotpUri("jane.doe", "JBSWY3DPEHPK3PXP");
  EXPECT_TRUE(uri.starts_with("otpauth://totp/")) << uri;
  EXPECT_NE(uri.find("Custos:jane.doe"), std::string::npos) << uri;
  EXPECT_NE(uri.find("secret=JBSWY3DPEHPK3PXP"), std::string::npos) << uri;
  EXPECT_NE(uri.find("issuer=Custos"), std::string::npos) << uri;
}

TEST(TotpTest, UriEscapesTheUsername) {
  const std::string uri = TotpUri("a b&c", "JBSWY3DPEHPK3PXP");
  EXPECT_EQ(uri.find("a b&c"), std::string::npos) << uri;
  EXPECT_NE(uri.find("a%20b%26c"), std::string::npos) << uri;
}

TEST(TotpTest, QrCodeIsAnSvgDocument) {
  auto svg = QrCodeSvg(TotpUri("jane.doe", "JBSWY3DPEHPK3PXP"));
  ASSERT_OK(svg);
  EXPECT_TRUE(svg->starts_with("<svg")) << svg->substr(0, 80);
  EXPECT_NE(svg->find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  EXPECT_TRUE(svg->ends_with("</svg>"));
  EXPECT_NE(svg->find("<path"), std::string::npos);
  // Different content gives a different picture.
  auto other = QrCodeSvg(TotpUri("john.roe", "JBSWY3DPEHPK3PXP"));
  ASSERT_OK(other);
  EXPECT_NE(*svg, *other);
}

}  // namespace
}  // namespace custos::auth
