#include "custos/patients/comparators.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace custos::patients {
namespace {

std::string Code(const SoundexCode& code) { return std::string(code.data(), code.size()); }

TEST(JaroWinklerTest, MatchesPublishedValues) {
  EXPECT_NEAR(JaroWinkler("martha", "marhta"), 0.961, 0.001);
  EXPECT_NEAR(JaroWinkler("dwayne", "duane"), 0.84, 0.001);
  EXPECT_NEAR(JaroWinkler("dixon", "dicksonx"), 0.813, 0.001);
  EXPECT_NEAR(Jaro("martha", "marhta"), 0.944, 0.001);
}

TEST(JaroWinklerTest, HandlesEmptyIdenticalAndDisjointStrings) {
  EXPECT_DOUBLE_EQ(JaroWinkler("", ""), 1.0);
  EXPECT_DOUBLE_EQ(JaroWinkler("abc", ""), 0.0);
  EXPECT_DOUBLE_EQ(JaroWinkler("smith", "smith"), 1.0);
  EXPECT_DOUBLE_EQ(JaroWinkler("abc", "xyz"), 0.0);
  EXPECT_DOUBLE_EQ(JaroWinkler("a", "a"), 1.0);
}

TEST(JaroWinklerTest, IsSymmetricAndHandlesLongStrings) {
  EXPECT_DOUBLE_EQ(JaroWinkler("dwayne", "duane"), JaroWinkler("duane", "dwayne"));
  const std::string long_a(100, 'a');
  std::string long_b = long_a;
  long_b[50] = 'b';
  EXPECT_GT(JaroWinkler(long_a, long_b), 0.99);
}

TEST(SoundexTest, EncodesClassicExamples) {
  EXPECT_EQ(Code(Soundex("robert")), "r163");
  EXPECT_EQ(Code(Soundex("rupert")), "r163");
  EXPECT_EQ(Code(Soundex("ashcraft")), "a261");
  EXPECT_EQ(Code(Soundex("tymczak")), "t522");
  EXPECT_EQ(Code(Soundex("pfister")), "p236");
  EXPECT_EQ(Code(Soundex("lee")), "l000");
  EXPECT_EQ(Code(Soundex("O'Hara")), "o600");
  EXPECT_EQ(Code(Soundex("")), "0000");
}

TEST(WithinOneEditTest, AcceptsOneEditOnly) {
  EXPECT_TRUE(WithinOneEdit("smith", "smith"));
  EXPECT_TRUE(WithinOneEdit("smith", "smyth"));   // substitution
  EXPECT_TRUE(WithinOneEdit("smith", "smiht"));   // transposition
  EXPECT_TRUE(WithinOneEdit("smith", "smiths"));  // insertion
  EXPECT_TRUE(WithinOneEdit("smith", "mith"));    // deletion
  EXPECT_FALSE(WithinOneEdit("smith", "smythe"));
  EXPECT_FALSE(WithinOneEdit("smith", "jones"));
  EXPECT_FALSE(WithinOneEdit("ab", "abcd"));
}

TEST(OneDigitOffOrTransposedTest, KeepsLengthAndAllowsOneTypo) {
  EXPECT_TRUE(OneDigitOffOrTransposed("19450403", "19450493"));
  EXPECT_TRUE(OneDigitOffOrTransposed("19450403", "19454003"));
  EXPECT_FALSE(OneDigitOffOrTransposed("19450403", "19450403"));
  EXPECT_FALSE(OneDigitOffOrTransposed("19450403", "19550493"));
  EXPECT_FALSE(OneDigitOffOrTransposed("1945040", "19450403"));
}

TEST(JaroWinklerUpperBoundTest, NeverBelowJaroWinkler) {
  // Random strings over small alphabets (many shared letters, repeats, transpositions) and a few
  // long ones past the fast path.
  std::mt19937 random(7);
  for (int i = 0; i < 200000; ++i) {
    const size_t alphabet = 2 + random() % 8;
    std::string a(random() % 20, 'a');
    std::string b(random() % 20, 'a');
    for (char& c : a) c = static_cast<char>('a' + random() % alphabet);
    for (char& c : b) c = static_cast<char>('a' + random() % alphabet);
    if (i % 50 == 0) a += std::string(70, 'x');
    ASSERT_GE(JaroWinklerUpperBound(a, b) + 1e-12, JaroWinkler(a, b)) << a << " / " << b;
  }
}

TEST(JaroWinklerUpperBoundTest, RulesOutNamesSharingFewLetters) {
  EXPECT_LT(JaroWinklerUpperBound("smith", "johnson"), 0.85);
  EXPECT_LT(JaroWinklerUpperBound("oliver", "harriet"), 0.85);
  EXPECT_GE(JaroWinklerUpperBound("martha", "marhta"), 0.85);
  EXPECT_EQ(JaroWinklerUpperBound("", "abc"), 0);
}

}  // namespace
}  // namespace custos::patients
