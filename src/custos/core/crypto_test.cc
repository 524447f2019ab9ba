#include "custos/core/crypto.h"

#include <gtest/gtest.h>

namespace custos {
namespace {

TEST(CryptoTest, Sha256MatchesKnownVector) {
  EXPECT_EQ(HexEncode(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256Hasher hasher;
  hasher.Update("a");
  hasher.Update("bc");
  EXPECT_EQ(hasher.Finish(), Sha256("abc"));
}

TEST(CryptoTest, HexRoundTripsAndRejectsGarbage) {
  std::string decoded;
  ASSERT_TRUE(HexDecode(HexEncode(std::string("\x00\xff\x10", 3)), decoded));
  EXPECT_EQ(decoded, std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(HexDecode("abc", decoded));
  EXPECT_FALSE(HexDecode("zz", decoded));
}

TEST(CryptoTest, TokensAreLongAndDistinct) {
  const std::string a = NewSecretToken();
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, NewSecretToken());
  EXPECT_TRUE(ConstantTimeEquals(a, a));
  EXPECT_FALSE(ConstantTimeEquals(a, NewSecretToken()));
  EXPECT_FALSE(ConstantTimeEquals("a", "ab"));
}

TEST(CryptoTest, Base64MatchesRfc4648) {
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

}  // namespace
}  // namespace custos
