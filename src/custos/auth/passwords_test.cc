#include "custos/auth/passwords.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "testing/status_matchers.h"

namespace custos::auth {
namespace {

// Cheap enough for tests; production uses libsodium's interactive level.
constexpr PasswordHashCost kCheap{1, 65536};

void ExpectRejected(std::string_view password, std::string_view username, std::string_view why) {
  const Status status = CheckPasswordPolicy(password, username);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument)
      << "password '" << password << "' (" << why << ")";
  EXPECT_EQ(status.field(), "password") << why;
  EXPECT_FALSE(status.message().empty()) << why;
}

TEST(PasswordPolicyTest, AcceptsAGoodPassphrase) {
  EXPECT_OK(CheckPasswordPolicy("correct horse battery staple", "alice"));
  EXPECT_OK(CheckPasswordPolicy("purple-otter-42-lamp", "bob"));
  EXPECT_OK(
      CheckPasswordPolicy(std::string(12, 'a') + "b", "carol"));  // exactly long enough and varied
}

TEST(PasswordPolicyTest, RefusesTooShort) {
  ExpectRejected("short", "alice", "5 characters");
  ExpectRejected("elevenchars", "alice", "11 characters");
  EXPECT_OK(CheckPasswordPolicy("twelve chars", "alice"));  // 12 is the minimum
  EXPECT_NE(CheckPasswordPolicy("elevenchars", "alice").message().find("12"), std::string::npos);
}

TEST(PasswordPolicyTest, RefusesTooLong) {
  std::string at_limit;
  while (at_limit.size() < 128) at_limit += "abcdefgh";
  at_limit.resize(128);
  EXPECT_OK(CheckPasswordPolicy(at_limit, "alice"));
  ExpectRejected(at_limit + "x", "alice", "129 characters");
  EXPECT_NE(CheckPasswordPolicy(at_limit + "x", "alice").message().find("128"), std::string::npos);
}

TEST(PasswordPolicyTest, RefusesPasswordsContainingTheUsernameInAnyCase) {
  ExpectRejected("my name is jdoe, really", "jdoe", "lower case");
  ExpectRejected("my name is JDoe, really", "jdoe", "mixed case in password");
  ExpectRejected("my name is jdoe, really", "JDOE", "upper case username");
  EXPECT_OK(CheckPasswordPolicy("my name is jdo e, really", "jdoe"));
}

TEST(PasswordPolicyTest, RefusesCommonPasswords) {
  ExpectRejected("password1234", "alice", "common");
  ExpectRejected("PASSWORD1234", "alice", "common, case-insensitively");
  ExpectRejected("qwerty123456", "alice", "common");
}

TEST(PasswordPolicyTest, RefusesOneRepeatedCharacter) {
  ExpectRejected(std::string(20, 'z'), "alice", "one character repeated");
  ExpectRejected(std::string(12, '7'), "alice", "one digit repeated");
}

TEST(PasswordPolicyTest, ErrorNamesTheGivenField) {
  const Status status = CheckPasswordPolicy("short", "alice", "new_password");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.field(), "new_password");
}

TEST(PasswordHashTest, RoundTrips) {
  auto hash = HashPassword("correct horse battery staple", kCheap);
  ASSERT_OK(hash);
  EXPECT_TRUE(VerifyPassword("correct horse battery staple", *hash));
  EXPECT_FALSE(VerifyPassword("correct horse battery stapl", *hash));
  EXPECT_FALSE(VerifyPassword("Correct horse battery staple", *hash));
  EXPECT_FALSE(VerifyPassword("", *hash));
}

TEST(PasswordHashTest, IsAnArgon2idPhcString) {
  auto hash = HashPassword("correct horse battery staple", kCheap);
  ASSERT_OK(hash);
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$")) << *hash;
  EXPECT_NE(hash->find("m=64,t=1,"), std::string::npos)
      << *hash;  // the cost is recorded in the hash
  EXPECT_EQ(hash->find("correct horse"), std::string::npos);
}

TEST(PasswordHashTest, UsesAFreshSaltEachTime) {
  std::set<std::string> hashes;
  for (int i = 0; i < 3; ++i) {
    auto hash = HashPassword("correct horse battery staple", kCheap);
    ASSERT_OK(hash);
    EXPECT_TRUE(VerifyPassword("correct horse battery staple", *hash));
    hashes.insert(*hash);
  }
  EXPECT_EQ(hashes.size(), 3u);
}

TEST(PasswordHashTest, GarbageHashNeverVerifies) {
  EXPECT_FALSE(VerifyPassword("anything at all", ""));
  EXPECT_FALSE(VerifyPassword("anything at all", "$argon2id$v=19$garbage"));
  EXPECT_FALSE(VerifyPassword("anything at all", "anything at all"));
}

}  // namespace
}  // namespace custos::auth
