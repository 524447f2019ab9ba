#include "custos/clinical/index_layout.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

namespace custos::clinical {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

std::vector<std::string> StoredCodes(std::string_view type) {
  std::vector<std::string> codes;
  for (const auto& parameter : IndexLayout::R4().StoredParameters(type))
    codes.push_back(parameter.code);
  return codes;
}

TEST(IndexLayoutTest, UnionsReadTheRowsOfTheirParts) {
  const IndexLayout& layout = IndexLayout::R4();
  const ParamSource* combo = layout.Source("Observation", "combo-code");
  ASSERT_NE(combo, nullptr);
  EXPECT_THAT(combo->param_ids, UnorderedElementsAre(ParamId("Observation", "code"),
                                                     ParamId("Observation", "component-code")));
  EXPECT_EQ(combo->target_type, "");
  const ParamSource* quantity = layout.Source("Observation", "combo-value-quantity");
  ASSERT_NE(quantity, nullptr);
  EXPECT_THAT(quantity->param_ids,
              UnorderedElementsAre(ParamId("Observation", "value-quantity"),
                                   ParamId("Observation", "component-value-quantity")));
  EXPECT_THAT(StoredCodes("Observation"), Not(Contains("combo-code")));
  EXPECT_THAT(StoredCodes("Observation"), Contains("component-code"));
}

TEST(IndexLayoutTest, RestrictionsReadTheUnrestrictedRowsOfTheirTargetType) {
  const ParamSource* patient = IndexLayout::R4().Source("Observation", "patient");
  ASSERT_NE(patient, nullptr);
  EXPECT_THAT(patient->param_ids, ElementsAre(ParamId("Observation", "subject")));
  EXPECT_EQ(patient->target_type, "Patient");
  const ParamSource* practitioner = IndexLayout::R4().Source("Encounter", "practitioner");
  ASSERT_NE(practitioner, nullptr);
  EXPECT_THAT(practitioner->param_ids, ElementsAre(ParamId("Encounter", "participant")));
  EXPECT_EQ(practitioner->target_type, "Practitioner");
  // Claim.patient is an element of its own, so it keeps its rows.
  const ParamSource* claim = IndexLayout::R4().Source("Claim", "patient");
  ASSERT_NE(claim, nullptr);
  EXPECT_THAT(claim->param_ids, ElementsAre(ParamId("Claim", "patient")));
  EXPECT_EQ(claim->target_type, "");
}

TEST(IndexLayoutTest, IdenticalExpressionsShareTheFirstOnesRows) {
  const ParamSource* phonetic = IndexLayout::R4().Source("Patient", "phonetic");
  ASSERT_NE(phonetic, nullptr);
  EXPECT_THAT(phonetic->param_ids, ElementsAre(ParamId("Patient", "name")));
  EXPECT_THAT(StoredCodes("Patient"), Contains("name"));
  EXPECT_THAT(StoredCodes("Patient"), Not(Contains("phonetic")));
}

TEST(IndexLayoutTest, TableColumnsAndUnindexableParametersHaveNoRows) {
  const IndexLayout& layout = IndexLayout::R4();
  EXPECT_EQ(layout.Source("Observation", "_id"), nullptr);
  EXPECT_EQ(layout.Source("Observation", "_lastUpdated"), nullptr);
  EXPECT_EQ(layout.Source("Observation", "code-value-quantity"), nullptr);  // composite
  EXPECT_EQ(layout.Source("Observation", "no-such-parameter"), nullptr);
  EXPECT_EQ(layout.Source("Bundle", "identifier"), nullptr);  // not a stored type
  EXPECT_THAT(StoredCodes("Observation"), Not(Contains("_lastUpdated")));
  EXPECT_THAT(StoredCodes("Observation"), Contains("_tag"));
}

TEST(IndexLayoutTest, EveryOtherParameterOfAStoredTypeHasRowsOfItsOwn) {
  const Definitions& r4 = Definitions::R4();
  for (const std::string& type : r4.StoredResourceTypes()) {
    for (const auto& parameter : IndexLayout::R4().StoredParameters(type)) {
      const ParamSource* source = IndexLayout::R4().Source(type, parameter.code);
      ASSERT_NE(source, nullptr) << type << "." << parameter.code;
      EXPECT_THAT(source->param_ids, ElementsAre(ParamId(type, parameter.code)));
      EXPECT_EQ(source->target_type, "");
    }
  }
}

TEST(IndexLayoutTest, ParameterIdsAreStableAndDistinct) {
  // Index rows on disk carry these numbers: they must never change for a given parameter.
  EXPECT_EQ(ParamId("Observation", "code"), 592331440);
  EXPECT_EQ(ParamId("Patient", "family"), 147360096);
  EXPECT_NE(ParamId("Observation", "code"), ParamId("Condition", "code"));
  std::set<std::int32_t> seen;
  std::size_t count = 0;
  for (const std::string& type : Definitions::R4().StoredResourceTypes()) {
    for (const auto& parameter : Definitions::R4().SearchParameters(type)) {
      EXPECT_GE(ParamId(type, parameter.code), 0);
      seen.insert(ParamId(type, parameter.code));
      ++count;
    }
  }
  EXPECT_EQ(seen.size(), count) << "two search parameters share an index id";
}

}  // namespace
}  // namespace custos::clinical
