#include "custos/patients/matcher.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "testing/test_data.h"

namespace custos::patients {
namespace {

// The cases the FEBRL error model lacks, matched among FEBRL1's records so that the model is
// estimated from a realistic population, as it would be in a registry clean-up.
class MatcherFixtureTest : public ::testing::Test {
 protected:
  static PersonRecord Person(std::string id, std::string given, std::string surname,
                             std::string dob, std::string ssn = {}) {
    PersonRecord record;
    record.id = std::move(id);
    record.given_name = std::move(given);
    record.surname = std::move(surname);
    record.date_of_birth = std::move(dob);
    record.ssn = std::move(ssn);
    record.street_number = "17";
    record.address_1 = "quillington crescent";
    record.suburb = "yarralumla";
    record.postcode = "2600";
    record.state = "act";
    return record;
  }

  void SetUp() override {
    auto febrl = ReadPersonCsv(custos::testing::TestData("febrl/dataset1.csv").string());
    ASSERT_TRUE(febrl.ok()) << febrl.status().ToString();
    records_ = std::move(febrl).value();
    fixture_start_ = records_.size();
    // Nickname: Bob and Robert are one person.
    records_.push_back(Person("nick-a", "Robert", "Quartermaine", "19700312"));
    records_.push_back(Person("nick-b", "Bob", "Quartermaine", "19700312"));
    // Day and month swapped in the date of birth.
    records_.push_back(Person("swap-a", "Ingrid", "Vandersloot", "19820311"));
    records_.push_back(Person("swap-b", "Ingrid", "Vandersloot", "19821103"));
    // Twins: same surname, birth date and address; different given names.
    records_.push_back(Person("twin-a", "Oliver", "Featherstonehaugh", "20010505"));
    records_.push_back(Person("twin-b", "Harriet", "Featherstonehaugh", "20010505"));
    records_.push_back(Person("twin-c", "Edmund", "Wolstenholme", "19990909", "4411223"));
    records_.push_back(Person("twin-d", "Edwina", "Wolstenholme", "19990909", "4411876"));
    // Father and son: Sr and Jr at the same address.
    records_.push_back(Person("sr", "Michael", "Oshaughnessy Sr", "19500101"));
    records_.push_back(Person("jr", "Michael", "Oshaughnessy Jr", "19500101"));
    // Placeholder names of two newborns, and two John Does.
    records_.push_back(Person("baby-a", "Baby Boy", "Nakagawa", "20260101"));
    records_.push_back(Person("baby-b", "Baby Boy", "Nakagawa", "20260101"));
    records_.push_back(Person("doe-a", "John", "Doe", ""));
    records_.push_back(Person("doe-b", "John", "Doe", ""));
    auto result = Dedupe(records_);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    result_ = std::make_unique<MatchResult>(std::move(result).value());
  }

  std::uint32_t Index(std::string_view id) const {
    for (size_t i = fixture_start_; i < records_.size(); ++i) {
      if (records_[i].id == id) return static_cast<std::uint32_t>(i);
    }
    ADD_FAILURE() << "no record " << id;
    return 0;
  }

  Decision DecisionFor(std::string_view x, std::string_view y) const {
    const std::uint32_t a = std::min(Index(x), Index(y));
    const std::uint32_t b = std::max(Index(x), Index(y));
    for (const ScoredPair& pair : result_->pairs()) {
      if (pair.a == a && pair.b == b) return pair.decision;
    }
    return Decision::kNonMatch;
  }

  std::vector<PersonRecord> records_;
  size_t fixture_start_ = 0;
  std::unique_ptr<MatchResult> result_;
};

TEST_F(MatcherFixtureTest, LinksNicknameOfTheSamePerson) {
  EXPECT_EQ(DecisionFor("nick-a", "nick-b"), Decision::kLink);
  auto explanation = result_->Explain(Index("nick-a"), Index("nick-b"));
  ASSERT_TRUE(explanation.ok());
  EXPECT_EQ(explanation->fields[0].field, Field::kGivenName);
  EXPECT_EQ(explanation->fields[0].level, "sounds_alike_or_nickname");
  EXPECT_GT(explanation->fields[0].weight, 0);
}

TEST_F(MatcherFixtureTest, LinksDayAndMonthSwapped) {
  EXPECT_EQ(DecisionFor("swap-a", "swap-b"), Decision::kLink);
  auto explanation = result_->Explain(Index("swap-a"), Index("swap-b"));
  ASSERT_TRUE(explanation.ok());
  EXPECT_EQ(explanation->fields[2].level, "day_month_swapped");
}

TEST_F(MatcherFixtureTest, DoesNotLinkTwins) {
  EXPECT_NE(DecisionFor("twin-a", "twin-b"), Decision::kLink);
  auto explanation = result_->Explain(Index("twin-a"), Index("twin-b"));
  ASSERT_TRUE(explanation.ok());
  EXPECT_EQ(explanation->capped_by, "possible_twin");
  // Similar given names (Edmund, Edwina) with different SSNs.
  EXPECT_NE(DecisionFor("twin-c", "twin-d"), Decision::kLink);
}

TEST_F(MatcherFixtureTest, TwinGuardCanBeTurnedOff) {
  MatchOptions options;
  options.review_possible_twins = false;
  auto result = Dedupe(records_, options);
  ASSERT_TRUE(result.ok());
  auto explanation = result->Explain(Index("twin-a"), Index("twin-b"));
  ASSERT_TRUE(explanation.ok());
  EXPECT_TRUE(explanation->capped_by.empty());
}

TEST_F(MatcherFixtureTest, DoesNotLinkJuniorAndSenior) {
  EXPECT_NE(DecisionFor("sr", "jr"), Decision::kLink);
  auto explanation = result_->Explain(Index("sr"), Index("jr"));
  ASSERT_TRUE(explanation.ok());
  EXPECT_EQ(explanation->capped_by, "suffix_conflict");
}

TEST_F(MatcherFixtureTest, NeverLinksPlaceholderNames) {
  EXPECT_NE(DecisionFor("baby-a", "baby-b"), Decision::kLink);
  EXPECT_NE(DecisionFor("doe-a", "doe-b"), Decision::kLink);
}

TEST_F(MatcherFixtureTest, ExplainsEveryFieldAndAddsUpToTheScore) {
  ASSERT_FALSE(result_->pairs().empty());
  const ScoredPair& pair = result_->pairs().front();
  auto explanation = result_->Explain(pair.a, pair.b);
  ASSERT_TRUE(explanation.ok());
  EXPECT_EQ(explanation->fields.size(), kFieldCount);
  double total = 0;
  for (const FieldExplanation& field : explanation->fields) total += field.weight;
  EXPECT_NEAR(total, pair.score, 1e-9);
  EXPECT_EQ(explanation->decision, pair.decision);
  EXPECT_FALSE(result_->Explain(0, static_cast<std::uint32_t>(records_.size())).ok());
}

// Linkage is one-to-one: a person entered twice in the index is linked to the query once, the
// better-scoring record first; the other pair goes to review and says why. Without the
// assignment both link.
TEST(MatcherTest, LinkageLinksEachQueryRecordOnce) {
  auto febrl = ReadPersonCsv(custos::testing::TestData("febrl/dataset4a.csv").string());
  ASSERT_TRUE(febrl.ok());
  std::vector<PersonRecord> index(febrl->begin(), febrl->begin() + 2000);
  std::vector<PersonRecord> query(febrl->begin() + 2000, febrl->begin() + 3000);
  PersonRecord person = (*febrl)[4000];
  person.id = "query";
  query.push_back(person);
  person.id = "entered-twice-exact";
  index.push_back(person);
  person.id = "entered-twice-typo";
  person.street_number += "1";
  index.push_back(person);
  const auto exact = static_cast<std::uint32_t>(index.size() - 2);
  const auto typo = static_cast<std::uint32_t>(index.size() - 1);
  const auto asked = static_cast<std::uint32_t>(query.size() - 1);
  auto decisions = [&](const MatchResult& result) {
    std::pair<Decision, Decision> found{Decision::kNonMatch, Decision::kNonMatch};
    for (const ScoredPair& pair : result.pairs()) {
      if (pair.b != asked) continue;
      if (pair.a == exact) found.first = pair.decision;
      if (pair.a == typo) found.second = pair.decision;
    }
    return found;
  };
  auto result = Link(index, query);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(decisions(*result), std::pair(Decision::kLink, Decision::kReview));
  auto explanation = result->Explain(typo, asked);
  ASSERT_TRUE(explanation.ok());
  EXPECT_EQ(explanation->capped_by, "one_to_one");
  MatchOptions options;
  options.one_to_one_linkage = false;
  auto both = Link(index, query, options);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(decisions(*both), std::pair(Decision::kLink, Decision::kLink));
}

TEST(MatcherTest, EmptyInputGivesNoPairs) {
  auto result = Dedupe({});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->pairs().empty());
  auto linked = Link({}, {});
  ASSERT_TRUE(linked.ok());
  EXPECT_TRUE(linked->pairs().empty());
}

}  // namespace
}  // namespace custos::patients
