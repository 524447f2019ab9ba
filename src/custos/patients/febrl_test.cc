// Accuracy on the FEBRL benchmark sets (tests/data/febrl): pairwise F1 of `link` decisions
// against the true pairs, with and without the SSN column. The floors are the levels reached;
// a change that lowers one is a regression.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include "custos/patients/evaluation.h"
#include "testing/test_data.h"

namespace custos::patients {
namespace {

struct Case {
  const char* records;
  const char* link_to;  // nullptr: deduplication
  const char* truth;
  bool without_ssn;  // or without RunCase's `ignore_column`
  double min_f1;
  double min_pair_completeness;
};

Evaluation RunCase(const Case& test, const char* ignore_column = nullptr) {
  PersonCsvOptions options;
  if (test.without_ssn) options.ignore_columns = {ignore_column ? ignore_column : "soc_sec_id"};
  auto records =
      ReadPersonCsv(custos::testing::TestData(std::string("febrl/") + test.records), options);
  EXPECT_TRUE(records.ok()) << records.status().ToString();
  std::vector<PersonRecord> others;
  if (test.link_to != nullptr) {
    auto read =
        ReadPersonCsv(custos::testing::TestData(std::string("febrl/") + test.link_to), options);
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    others = std::move(read).value();
  }
  auto truth = ReadTruthPairs(custos::testing::TestData(std::string("febrl/") + test.truth));
  EXPECT_TRUE(truth.ok()) << truth.status().ToString();
  const auto start = std::chrono::steady_clock::now();
  auto result = test.link_to != nullptr ? Link(*records, others) : Dedupe(*records);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  const Evaluation evaluation =
      Evaluate(*result, *records, test.link_to != nullptr ? &others : nullptr, *truth);
  std::cout << test.records
            << (test.without_ssn ? std::string(" without ") +
                                       (ignore_column ? ignore_column : "soc_sec_id") + ": "
                                 : std::string(": "))
            << FormatEvaluation(evaluation, seconds) << "\n";
  return evaluation;
}

void Check(const Case& test) {
  const Evaluation evaluation = RunCase(test);
  EXPECT_GE(evaluation.f1, test.min_f1);
  EXPECT_GE(evaluation.pair_completeness, test.min_pair_completeness);
}

TEST(FebrlTest, Dataset1Dedupe) {
  Check({"dataset1.csv", nullptr, "febrl1.pairs.csv", false, 0.998, 0.999});
}
TEST(FebrlTest, Dataset1DedupeWithoutSsn) {
  Check({"dataset1.csv", nullptr, "febrl1.pairs.csv", true, 0.991, 0.999});
}
TEST(FebrlTest, Dataset2Dedupe) {
  Check({"dataset2.csv", nullptr, "febrl2.pairs.csv", false, 0.999, 0.999});
}
TEST(FebrlTest, Dataset2DedupeWithoutSsn) {
  Check({"dataset2.csv", nullptr, "febrl2.pairs.csv", true, 0.992, 0.996});
}
// The targets: F1 ≥ 0.997 with SSN, ≥ 0.98 without.
TEST(FebrlTest, Dataset3Dedupe) {
  Check({"dataset3.csv", nullptr, "febrl3.pairs.csv", false, 0.9985, 0.999});
}
// 0.9910 before the household rule (matcher.cc): it keeps one FEBRL "duplicate" at review whose
// given name, surname and birth date were all replaced (Spyke Karlsen 1911 → Anthony Goode 1964,
// same flat) — in a registry, a household member.
TEST(FebrlTest, Dataset3DedupeWithoutSsn) {
  Check({"dataset3.csv", nullptr, "febrl3.pairs.csv", true, 0.9905, 0.995});
}
// Without SSN most misses are pairs with different given names and the same surname, birth date
// and address: indistinguishable from twins, so deduplication keeps them at `review`.
// Without dates of birth the model conditions its EM sessions on other fields.
TEST(FebrlTest, Dataset3DedupeWithoutDateOfBirth) {
  const Evaluation evaluation =
      RunCase({"dataset3.csv", nullptr, "febrl3.pairs.csv", true, 0, 0}, "date_of_birth");
  EXPECT_GE(evaluation.f1, 0.996);
}

TEST(FebrlTest, Dataset4Link) {
  Check({"dataset4a.csv", "dataset4b.csv", "febrl4.pairs.csv", false, 0.9995, 0.9999});
}
// The target without SSN is 0.998. Linkage is one-to-one and weighs the twin rule against
// the share of queries with a partner (matcher.h); with the twin rule capping outright, as in
// deduplication, this was 0.9900.
TEST(FebrlTest, Dataset4LinkWithoutSsn) {
  Check({"dataset4a.csv", "dataset4b.csv", "febrl4.pairs.csv", true, 0.998, 0.998});
}

}  // namespace
}  // namespace custos::patients
