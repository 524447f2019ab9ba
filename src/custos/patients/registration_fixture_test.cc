// The registration cases FEBRL's error model lacks (tests/data/mpi/README.md): nicknames, twins,
// father and son, maiden names, newborn and trauma placeholders, default SSNs, swapped day and
// month, SSN typos, households. Checked in batch deduplication and in PatientIndex.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <utility>

#include "custos/patients/evaluation.h"
#include "custos/patients/patient_index.h"
#include "testing/test_data.h"

namespace custos::patients {
namespace {

struct Expected {
  std::string a;
  std::string b;
  std::string outcome;  // link, not_link, link_or_review
};

std::vector<Expected> ReadExpected() {
  auto text = ReadTextFile(custos::testing::TestData("mpi/registration_expected.csv").string());
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  std::vector<Expected> expected;
  std::vector<std::string> fields;
  size_t position = 0;
  bool header = true;
  while (text.ok() && position < text->size()) {
    size_t end = text->find('\n', position);
    if (end == std::string::npos) end = text->size();
    const std::string_view line(text->data() + position, end - position);
    position = end + 1;
    if (line.empty() || std::exchange(header, false)) continue;
    EXPECT_TRUE(SplitCsvLine(line, fields) && fields.size() == 3) << line;
    if (fields.size() == 3) expected.push_back({fields[0], fields[1], fields[2]});
  }
  return expected;
}

void CheckOutcome(const Expected& pair, Decision decision, std::string_view capped_by,
                  std::string_view where) {
  const std::string context = std::string(where) + ": " + pair.a + " / " + pair.b + " was " +
                              std::string(DecisionName(decision)) +
                              (capped_by.empty() ? "" : " (" + std::string(capped_by) + ")");
  if (pair.outcome == "link") {
    EXPECT_EQ(decision, Decision::kLink) << context;
  } else if (pair.outcome == "not_link") {
    EXPECT_NE(decision, Decision::kLink) << context;
  } else {
    EXPECT_NE(decision, Decision::kNonMatch) << context;
  }
}

class RegistrationFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto febrl = ReadPersonCsv(custos::testing::TestData("febrl/dataset1.csv").string());
    ASSERT_TRUE(febrl.ok()) << febrl.status().ToString();
    auto fixtures = ReadPersonCsv(custos::testing::TestData("mpi/registration.csv").string());
    ASSERT_TRUE(fixtures.ok()) << fixtures.status().ToString();
    records_ = std::move(febrl).value();
    fixture_start_ = records_.size();
    records_.insert(records_.end(), fixtures->begin(), fixtures->end());
    expected_ = ReadExpected();
    ASSERT_FALSE(expected_.empty());
  }

  std::vector<PersonRecord> records_;
  size_t fixture_start_ = 0;
  std::vector<Expected> expected_;
};

TEST_F(RegistrationFixtureTest, ReadsRegistrationColumns) {
  const auto find = [&](std::string_view id) {
    return *std::find_if(records_.begin(), records_.end(),
                         [&](const PersonRecord& r) { return r.id == id; });
  };
  const PersonRecord maiden = find("maiden-new");
  EXPECT_EQ(maiden.middle_name, "Elizabeth");
  EXPECT_EQ(maiden.sex, "female");
  ASSERT_EQ(maiden.previous_surnames.size(), 1u);
  EXPECT_EQ(maiden.previous_surnames[0], "Smith");
  EXPECT_EQ(maiden.email, "jane.smith@example.org");
  EXPECT_EQ(find("son-jr").suffix, "Jr.");
}

TEST_F(RegistrationFixtureTest, BatchDedupe) {
  auto result = Dedupe(records_);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  std::map<std::pair<std::string, std::string>, Decision> decisions;
  for (const ScoredPair& pair : result->pairs()) {
    if (pair.a < fixture_start_ || pair.b < fixture_start_) continue;
    decisions[{records_[pair.a].id, records_[pair.b].id}] = pair.decision;
    decisions[{records_[pair.b].id, records_[pair.a].id}] = pair.decision;
  }
  auto index_of = [&](const std::string& id) {
    for (size_t i = fixture_start_; i < records_.size(); ++i) {
      if (records_[i].id == id) return static_cast<std::uint32_t>(i);
    }
    ADD_FAILURE() << "no record " << id;
    return std::uint32_t{0};
  };
  std::set<std::pair<std::string, std::string>> listed;
  for (const Expected& pair : expected_) {
    const auto it = decisions.find({pair.a, pair.b});
    auto explanation = result->Explain(index_of(pair.a), index_of(pair.b));
    ASSERT_TRUE(explanation.ok());
    CheckOutcome(pair, it == decisions.end() ? Decision::kNonMatch : it->second,
                 explanation->capped_by, "batch");
    listed.insert({pair.a, pair.b});
    listed.insert({pair.b, pair.a});
  }
  // Different fixture people (many share no more than a street) never link.
  for (const auto& [ids, decision] : decisions) {
    if (!listed.contains(ids)) {
      EXPECT_NE(decision, Decision::kLink) << ids.first << " / " << ids.second;
    }
  }
}

TEST_F(RegistrationFixtureTest, PatientIndexWithShippedModel) {
  PatientIndex index(DefaultModel());
  for (const PersonRecord& record : records_) index.Upsert(record);
  for (const Expected& pair : expected_) {
    auto explained = index.Explain(pair.a, pair.b);
    ASSERT_TRUE(explained.ok()) << explained.status().ToString();
    CheckOutcome(pair, explained->decision, explained->explanation.capped_by, "index");
  }
  // Searching with the second record of a `link` pair finds the first at the top.
  for (const Expected& pair : expected_) {
    if (pair.outcome != "link") continue;
    const auto second = std::find_if(records_.begin(), records_.end(),
                                     [&](const PersonRecord& r) { return r.id == pair.b; });
    index.Remove(pair.b);
    const auto found = index.Search(*second, 3);
    ASSERT_FALSE(found.empty()) << pair.b;
    EXPECT_EQ(found[0].id, pair.a) << pair.b;
    EXPECT_EQ(found[0].decision, Decision::kLink) << pair.b;
    index.Upsert(*second);
  }
}

// Linkage mode (tests/data/mpi/README.md, "Linkage-mode twins"): twins present in both lists
// resolve to their own records; a lone twin-like pair links only when nearly every query record
// has a partner in the index.
class LinkageTwinFixtureTest : public ::testing::Test {
 protected:
  static std::vector<PersonRecord> Read(const std::string& name) {
    auto records = ReadPersonCsv(custos::testing::TestData(name).string());
    EXPECT_TRUE(records.ok()) << records.status().ToString();
    return records.ok() ? std::move(records).value() : std::vector<PersonRecord>();
  }
  static void Append(std::vector<PersonRecord>& to, const std::vector<PersonRecord>& from) {
    to.insert(to.end(), from.begin(), from.end());
  }
  static std::uint32_t IndexOf(const std::vector<PersonRecord>& records, const std::string& id) {
    for (size_t i = 0; i < records.size(); ++i) {
      if (records[i].id == id) return static_cast<std::uint32_t>(i);
    }
    ADD_FAILURE() << "no record " << id;
    return 0;
  }

  // Links the feed and checks every expected pair of it, in the pairs and in Explain.
  void CheckFeed(const std::string& feed, const std::vector<PersonRecord>& index,
                 const std::vector<PersonRecord>& query) {
    auto result = Link(index, query);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    std::map<std::pair<std::uint32_t, std::uint32_t>, Decision> decisions;
    for (const ScoredPair& pair : result->pairs()) decisions[{pair.a, pair.b}] = pair.decision;
    std::vector<std::string> fields;
    auto text = ReadTextFile(custos::testing::TestData("mpi/linkage_expected.csv").string());
    ASSERT_TRUE(text.ok());
    size_t checked = 0;
    size_t position = text->find('\n') + 1;  // after the header
    while (position < text->size()) {
      size_t end = text->find('\n', position);
      if (end == std::string::npos) end = text->size();
      ASSERT_TRUE(SplitCsvLine(std::string_view(*text).substr(position, end - position), fields));
      position = end + 1;
      if (fields.size() != 4 || fields[0] != feed) continue;
      const std::uint32_t a = IndexOf(index, fields[1]);
      const std::uint32_t b = IndexOf(query, fields[2]);
      const auto it = decisions.find({a, b});
      const Decision decision = it == decisions.end() ? Decision::kNonMatch : it->second;
      auto explanation = result->Explain(a, b);
      ASSERT_TRUE(explanation.ok());
      EXPECT_EQ(explanation->decision, decision) << fields[1] << " / " << fields[2];
      CheckOutcome({fields[1], fields[2], fields[3]}, decision, explanation->capped_by, feed);
      ++checked;
    }
    EXPECT_GE(checked, 5u) << feed;
    result_ = std::make_unique<MatchResult>(std::move(result).value());
  }

  std::unique_ptr<MatchResult> result_;
};

TEST_F(LinkageTwinFixtureTest, FeedWhereEveryoneHasAPartner) {
  std::vector<PersonRecord> index = Read("febrl/dataset4a.csv");
  std::vector<PersonRecord> query = Read("febrl/dataset4b.csv");
  Append(index, Read("mpi/linkage_index.csv"));
  Append(query, Read("mpi/linkage_query.csv"));
  CheckFeed("full", index, query);
  ASSERT_NE(result_, nullptr);
  EXPECT_GT(result_->coverage(), 0.9);
  // The crossed twins lose the assignment to each twin's own record.
  auto crossed =
      result_->Explain(IndexOf(index, "both-oliver-index"), IndexOf(query, "both-harriet-query"));
  ASSERT_TRUE(crossed.ok());
  EXPECT_EQ(crossed->capped_by, "one_to_one");
  // The lone twin-like pair is weighed, and the weight favours one person.
  auto lone =
      result_->Explain(IndexOf(index, "lone-matilda-index"), IndexOf(query, "lone-beatrix-query"));
  ASSERT_TRUE(lone.ok());
  ASSERT_TRUE(lone->twin_log_odds.has_value());
  EXPECT_GE(*lone->twin_log_odds, 0);
}

TEST_F(LinkageTwinFixtureTest, FeedOfMostlyNewPatients) {
  std::vector<PersonRecord> index = Read("febrl/dataset4a.csv");
  std::vector<PersonRecord> query = Read("febrl/dataset4b.csv");
  query.resize(250);
  Append(query, Read("febrl/dataset1.csv"));
  Append(index, Read("mpi/linkage_index.csv"));
  Append(query, Read("mpi/linkage_query.csv"));
  CheckFeed("new_patients", index, query);
  ASSERT_NE(result_, nullptr);
  EXPECT_LT(result_->coverage(), 0.5);
  auto lone =
      result_->Explain(IndexOf(index, "lone-matilda-index"), IndexOf(query, "lone-beatrix-query"));
  ASSERT_TRUE(lone.ok());
  EXPECT_EQ(lone->capped_by, "possible_twin");
  ASSERT_TRUE(lone->twin_log_odds.has_value());
  EXPECT_LT(*lone->twin_log_odds, 0);
}

// Deduplication of the same records keeps every twin-like pair from linking, whatever the
// coverage: the cap is unconditional there.
TEST_F(LinkageTwinFixtureTest, DeduplicationStillCapsTwins) {
  std::vector<PersonRecord> records = Read("febrl/dataset1.csv");
  Append(records, Read("mpi/linkage_index.csv"));
  Append(records, Read("mpi/linkage_query.csv"));
  auto result = Dedupe(records);
  ASSERT_TRUE(result.ok());
  for (const auto& [x, y] : {std::pair{"both-oliver-index", "both-harriet-query"},
                             std::pair{"lone-matilda-index", "lone-beatrix-query"}}) {
    const std::uint32_t a = IndexOf(records, x);
    const std::uint32_t b = IndexOf(records, y);
    auto explanation = result->Explain(std::min(a, b), std::max(a, b));
    ASSERT_TRUE(explanation.ok());
    EXPECT_NE(explanation->decision, Decision::kLink) << x << " / " << y;
    EXPECT_EQ(explanation->capped_by, "possible_twin") << x << " / " << y;
    EXPECT_FALSE(explanation->twin_log_odds.has_value());
  }
}

}  // namespace
}  // namespace custos::patients
