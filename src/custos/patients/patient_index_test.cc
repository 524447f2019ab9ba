#include "custos/patients/patient_index.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "testing/test_data.h"

namespace custos::patients {
namespace {

PersonRecord Person(std::string id, std::string given, std::string surname, std::string dob,
                    std::string ssn = {}) {
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

std::vector<PersonRecord> ReadFebrl(const char* name) {
  auto records = ReadPersonCsv(custos::testing::TestData(std::string("febrl/") + name).string());
  EXPECT_TRUE(records.ok()) << records.status().ToString();
  return records.ok() ? std::move(records).value() : std::vector<PersonRecord>();
}

// An index of FEBRL1's 1,000 records scored with a model fitted on them.
class PatientIndexTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    records_ = new std::vector<PersonRecord>(ReadFebrl("dataset1.csv"));
    auto model = TrainModel(*records_);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = new MatchModel(std::move(model).value());
  }
  static void TearDownTestSuite() {
    delete records_;
    delete model_;
  }
  void SetUp() override {
    index_ = std::make_unique<PatientIndex>(*model_);
    for (const PersonRecord& record : *records_) index_->Upsert(record);
  }

  static std::vector<PersonRecord>* records_;
  static MatchModel* model_;
  std::unique_ptr<PatientIndex> index_;
};
std::vector<PersonRecord>* PatientIndexTest::records_ = nullptr;
MatchModel* PatientIndexTest::model_ = nullptr;

TEST_F(PatientIndexTest, UpsertAddsAndReplaces) {
  EXPECT_EQ(index_->size(), records_->size());
  index_->Upsert(Person("p1", "Robert", "Quartermaine", "19700312"));
  EXPECT_EQ(index_->size(), records_->size() + 1);
  // The same id again replaces the record: its old demographics are no longer found.
  PersonRecord moved = Person("p1", "Ingrid", "Vandersloot", "19820311");
  moved.street_number = "4";
  moved.address_1 = "bellbird loop";
  index_->Upsert(moved);
  EXPECT_EQ(index_->size(), records_->size() + 1);
  const auto old_name = index_->Search(Person("", "Robert", "Quartermaine", "19700312"));
  for (const IndexCandidate& candidate : old_name) {
    if (candidate.id == "p1") {
      EXPECT_NE(candidate.decision, Decision::kLink);
    }
  }
  const auto new_name = index_->Search(moved);
  ASSERT_FALSE(new_name.empty());
  EXPECT_EQ(new_name[0].id, "p1");
  EXPECT_EQ(new_name[0].decision, Decision::kLink);
  const auto records = index_->Records();
  ASSERT_EQ(records.size(), records_->size() + 1);
  const auto p1 = std::find_if(records.begin(), records.end(),
                               [](const PersonRecord& r) { return r.id == "p1"; });
  ASSERT_NE(p1, records.end());
  EXPECT_EQ(p1->given_name, "Ingrid");
  EXPECT_EQ(p1->address_1, "bellbird loop");
}

TEST_F(PatientIndexTest, RemoveForgetsTheRecord) {
  index_->Upsert(Person("p1", "Robert", "Quartermaine", "19700312"));
  index_->Remove("p1");
  index_->Remove("never-there");
  EXPECT_EQ(index_->size(), records_->size());
  for (const IndexCandidate& candidate :
       index_->Search(Person("", "Robert", "Quartermaine", "19700312"))) {
    EXPECT_NE(candidate.id, "p1");
    EXPECT_NE(candidate.decision, Decision::kLink);
  }
  EXPECT_EQ(index_->Explain("p1", (*records_)[0].id).status().code(), StatusCode::kNotFound);
  // The freed slot is reused cleanly.
  index_->Upsert(Person("p2", "Harriet", "Featherstonehaugh", "20010505"));
  const auto found = index_->Search(Person("", "Harriet", "Featherstonehaugh", "20010505"));
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found[0].id, "p2");
}

TEST_F(PatientIndexTest, SearchFindsNicknameAndTypoDuplicates) {
  index_->Upsert(Person("p1", "Robert", "Quartermaine", "19700312"));
  const auto nickname = index_->Search(Person("", "Bob", "Quartermaine", "19700312"));
  ASSERT_FALSE(nickname.empty());
  EXPECT_EQ(nickname[0].id, "p1");
  EXPECT_EQ(nickname[0].decision, Decision::kLink);
  const auto typo = index_->Search(Person("", "Robert", "Quartermane", "19700321"));
  ASSERT_FALSE(typo.empty());
  EXPECT_EQ(typo[0].id, "p1");
  EXPECT_EQ(typo[0].decision, Decision::kLink);
  // Best first, and the explanation adds up to the score.
  for (size_t i = 1; i < typo.size(); ++i) EXPECT_GE(typo[i - 1].log_odds, typo[i].log_odds);
  double sum = 0;
  for (const FieldExplanation& field : typo[0].explanation.fields) sum += field.weight;
  EXPECT_NEAR(sum, typo[0].score, 1e-9);
  EXPECT_EQ(index_->Search(Person("", "Bob", "Quartermaine", "19700312"), 0).size(), 0u);
}

TEST_F(PatientIndexTest, QueryWithAlmostNothingReturnsNothing) {
  PersonRecord query;
  query.surname = "Quartermaine";
  EXPECT_TRUE(index_->Search(query).empty());
}

TEST_F(PatientIndexTest, ExplainAndCompare) {
  index_->Upsert(Person("twin-a", "Oliver", "Featherstonehaugh", "20010505"));
  index_->Upsert(Person("twin-b", "Harriet", "Featherstonehaugh", "20010505"));
  auto explained = index_->Explain("twin-a", "twin-b");
  ASSERT_TRUE(explained.ok()) << explained.status().ToString();
  EXPECT_EQ(explained->id, "twin-a");
  EXPECT_EQ(explained->explanation.fields.size(), kFieldCount);
  EXPECT_NE(explained->decision, Decision::kLink);
  EXPECT_NEAR(explained->log_odds - explained->score,
              explained->explanation.log_odds - explained->explanation.score, 1e-9);
  EXPECT_EQ(explained->explanation.capped_by, "possible_twin");
  auto compared = index_->Compare("twin-a", Person("", "Oliver", "Featherstonehaugh", "20010505"));
  ASSERT_TRUE(compared.ok());
  EXPECT_GT(compared->score, explained->score);
  EXPECT_EQ(compared->decision, Decision::kLink);
  EXPECT_EQ(index_->Compare("nobody", Person("", "A", "B", "20010505")).status().code(),
            StatusCode::kNotFound);
}

TEST_F(PatientIndexTest, ModelJsonRoundTrip) {
  const std::string json = ModelToJson(*model_);
  auto read = ModelFromJson(json);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  for (size_t f = 0; f < kFieldCount; ++f) {
    const Field field = static_cast<Field>(f);
    for (std::uint8_t level = 0; level < LevelCount(field); ++level) {
      EXPECT_NEAR(read->Weight(field, level), model_->Weight(field, level), 1e-9)
          << FieldName(field) << " " << LevelName(field, level);
    }
  }
  EXPECT_DOUBLE_EQ(read->matches_per_record(), model_->matches_per_record());
  EXPECT_GT(model_->matches_per_record(), 0);
  EXPECT_EQ(ModelToJson(*read), json);
  EXPECT_EQ(ModelFromJson("[1]").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ModelFromJson("{not json").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ModelFromJson(
          R"({"format":"custos-mpi-model","version":1,"fields":{"surname":{"m":[2],"u":[1]}}})")
          .status()
          .code(),
      StatusCode::kInvalidArgument);
}

TEST(PatientIndexModelTest, TrainNeedsEnoughRecords) {
  std::vector<PersonRecord> few = {Person("a", "Ann", "Lee", "19800101")};
  EXPECT_EQ(TrainModel(few).status().code(), StatusCode::kInvalidArgument);
}

TEST(PatientIndexModelTest, DefaultModelIsFitted) {
  const MatchModel& model = DefaultModel();
  EXPECT_GT(model.matches_per_record(), 0);
  EXPECT_GT(model.Weight(Field::kSurname, 0), 5);
  EXPECT_LT(model.Weight(Field::kDateOfBirth, static_cast<std::uint8_t>(DateLevel::kDifferent)),
            -1);
}

// Intake search over FEBRL4: index dataset4a, look up every dataset4b record (each is a corrupted
// copy of one 4a record), scored with the shipped model.
TEST(PatientIndexFebrlTest, Dataset4TopCandidateIsTheTruePatient) {
  const auto index_records = ReadFebrl("dataset4a.csv");
  const auto queries = ReadFebrl("dataset4b.csv");
  PatientIndex index(DefaultModel());
  for (const PersonRecord& record : index_records) index.Upsert(record);
  size_t linked_correctly = 0;
  size_t linked_wrongly = 0;
  for (const PersonRecord& query : queries) {
    const auto found = index.Search(query, 3);
    if (found.empty() || found[0].decision != Decision::kLink) continue;
    // rec-N-dup-0 is a copy of rec-N-org.
    const std::string expected = query.id.substr(0, query.id.find("-dup")) + "-org";
    (found[0].id == expected ? linked_correctly : linked_wrongly) += 1;
  }
  std::cout << "FEBRL4 intake search: " << linked_correctly << " of " << queries.size()
            << " linked to the right patient, " << linked_wrongly << " to a wrong one\n";
  EXPECT_GE(static_cast<double>(linked_correctly), 0.98 * static_cast<double>(queries.size()));
  EXPECT_LE(linked_wrongly, 5u);
}

// Searches while other threads add, replace and remove records (run under TSan to check).
TEST_F(PatientIndexTest, ConcurrentSearchAndUpsert) {
  std::atomic<bool> failed = false;
  std::vector<std::thread> threads;
  for (int writer = 0; writer < 2; ++writer) {
    threads.emplace_back([&, writer] {
      for (int i = 0; i < 300; ++i) {
        const std::string id = "w" + std::to_string(writer) + "-" + std::to_string(i % 50);
        index_->Upsert(Person(id, i % 2 ? "Robert" : "Roberta", "Quartermaine", "19700312"));
        if (i % 7 == 0) index_->Remove(id);
      }
    });
  }
  for (int reader = 0; reader < 2; ++reader) {
    threads.emplace_back([&, reader] {
      for (int i = 0; i < 300; ++i) {
        const PersonRecord& query = (*records_)[static_cast<size_t>(reader * 300 + i)];
        const auto found = index_->Search(query, 5);
        if (found.empty() || found[0].score <= 0) failed = true;
        (void)index_->Search(Person("", "Bob", "Quartermaine", "19700312"));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_FALSE(failed);
  EXPECT_GE(index_->size(), records_->size());
  EXPECT_LE(index_->size(), records_->size() + 100);
}

}  // namespace
}  // namespace custos::patients
