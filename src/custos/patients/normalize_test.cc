#include "custos/patients/normalize.h"

#include <gtest/gtest.h>

namespace custos::patients {
namespace {

TEST(NormalizeTextTest, LowersFoldsAccentsAndRemovesPunctuation) {
  EXPECT_EQ(NormalizeText("  O'Brien-SMITH,  Jr. "), "obrien smith jr");
  EXPECT_EQ(NormalizeText("Zoë  Ångström"), "zoe angstrom");
  EXPECT_EQ(NormalizeText("Straße"), "strasse");
  EXPECT_EQ(NormalizeText("\t"), "");
}

TEST(NormalizeTextTest, DigitsOnlyKeepsDigits) {
  EXPECT_EQ(DigitsOnly("03 7759-8847"), "0377598847");
  EXPECT_EQ(DigitsOnly(""), "");
}

TEST(SplitNameSuffixTest, SplitsGenerationalSuffixes) {
  EXPECT_EQ(SplitNameSuffix("john smith jr").name, "john smith");
  EXPECT_EQ(SplitNameSuffix("john smith jr").suffix, "jr");
  EXPECT_EQ(SplitNameSuffix("henry iii").suffix, "iii");
  EXPECT_EQ(SplitNameSuffix("iii").suffix, "");  // a name, not a suffix
  EXPECT_EQ(SplitNameSuffix("smith").name, "smith");
}

TEST(PlaceholderNameTest, RecognisesUnknownPatients) {
  EXPECT_TRUE(IsPlaceholderName("baby boy", "smith"));
  EXPECT_TRUE(IsPlaceholderName("john", "doe"));
  EXPECT_TRUE(IsPlaceholderName("unknown", ""));
  EXPECT_FALSE(IsPlaceholderName("john", "dow"));
}

TEST(ParseBirthDateTest, KeepsImpossibleDatesAsDigits) {
  const BirthDate valid = ParseBirthDate("19450403");
  EXPECT_TRUE(valid.valid);
  EXPECT_EQ(valid.year, 1945);
  EXPECT_EQ(valid.month, 4);
  EXPECT_EQ(valid.day, 3);
  const BirthDate impossible = ParseBirthDate("19450493");
  EXPECT_FALSE(impossible.valid);
  EXPECT_EQ(impossible.digits, "19450493");
  EXPECT_FALSE(ParseBirthDate("19000229").valid);
  EXPECT_TRUE(ParseBirthDate("20000229").valid);
  EXPECT_EQ(ParseBirthDate("1945-04-03").digits, "");
  EXPECT_EQ(ParseBirthDate("").digits, "");
}

TEST(NicknameTableTest, DefaultTableKnowsCommonNicknames) {
  const NicknameTable& table = NicknameTable::Default();
  EXPECT_GT(table.size(), 1000u);
  EXPECT_TRUE(table.SameName("bob", "robert"));
  EXPECT_TRUE(table.SameName("robert", "bob"));
  EXPECT_TRUE(table.SameName("bill", "william"));
  EXPECT_TRUE(table.SameName("peggy", "margaret"));
  EXPECT_FALSE(table.SameName("bob", "william"));
  EXPECT_FALSE(table.SameName("zzz", "zzz"));  // unknown names are compared elsewhere
}

TEST(NicknameTableTest, ParseLinksNicknamesThroughCanonicalNames) {
  auto table = NicknameTable::Parse(
      "name1,relationship,name2\nrobert,has_nickname,bob\nrobert,has_nickname,rob\n"
      "roberta,has_nickname,bobbie\n");
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_TRUE(table->SameName("bob", "rob"));
  EXPECT_FALSE(table->SameName("bob", "bobbie"));
  EXPECT_FALSE(NicknameTable::Parse("robert,bob\n").ok());
}

}  // namespace
}  // namespace custos::patients
