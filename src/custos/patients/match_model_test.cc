#include "custos/patients/match_model.h"

#include <gtest/gtest.h>

namespace custos::patients {
namespace {

PreparedRecord WithState(std::string state) {
  PersonRecord record;
  record.id = "r";
  record.state = std::move(state);
  return PrepareRecord(record, NicknameTable::Default());
}

TEST(MatchModelTest, ExactAgreementUComesFromValueFrequencies) {
  // Half the records in each of two states: different people agree half the time.
  std::vector<PreparedRecord> records;
  for (int i = 0; i < 50; ++i) records.push_back(WithState("nsw"));
  for (int i = 0; i < 50; ++i) records.push_back(WithState("vic"));
  MatchModel model;
  model.EstimateU(records, records, 1000, 1, true);
  EXPECT_NEAR(model.u(Field::kState, 0), 0.5, 1e-9);
  EXPECT_NEAR(model.u(Field::kState, 1), 0.5, 1e-9);
}

TEST(MatchModelTest, AgreementWeighsForAndDisagreementAgainst) {
  MatchModel model;
  EXPECT_GT(model.Weight(Field::kSurname, 0), 0);
  EXPECT_LT(model.Weight(Field::kSurname, static_cast<std::uint8_t>(TextLevel::kDifferent)), 0);
  EXPECT_EQ(model.Weight(Field::kSurname, MissingLevel(Field::kSurname)), 0);
}

TEST(MatchModelTest, EmFindsTheMatchesAmongCandidates) {
  // 100 candidate pairs agreeing on everything (matches) and 900 agreeing only on birth date.
  std::vector<LevelVector> candidates;
  LevelVector match{};
  LevelVector other{};
  for (size_t f = 0; f < kFieldCount; ++f) {
    const Field field = static_cast<Field>(f);
    other[f] =
        field == Field::kDateOfBirth ? 0 : static_cast<std::uint8_t>(MissingLevel(field) - 1);
  }
  for (int i = 0; i < 100; ++i) candidates.push_back(match);
  for (int i = 0; i < 900; ++i) candidates.push_back(other);
  MatchModel model;
  const double matches = model.EstimateM(candidates);
  EXPECT_NEAR(matches, 100, 5);
  EXPECT_GT(model.m(Field::kSurname, 0), 0.9);
}

}  // namespace
}  // namespace custos::patients
