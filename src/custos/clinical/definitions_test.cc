#include "custos/clinical/definitions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "testing/status_matchers.h"

namespace custos::clinical {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const ElementDef* FindElement(const TypeDef& type, std::string_view path) {
  for (const ElementDef& element : type.elements) {
    if (element.path == path) return &element;
  }
  return nullptr;
}

TEST(DefinitionsTest, KnowsResourceAndDataTypes) {
  const Definitions& r4 = Definitions::R4();
  EXPECT_TRUE(r4.IsResourceType("Patient"));
  EXPECT_TRUE(r4.IsResourceType("Bundle"));
  EXPECT_FALSE(r4.IsResourceType("HumanName"));
  EXPECT_FALSE(r4.IsResourceType("NoSuchThing"));
  ASSERT_NE(r4.Type("HumanName"), nullptr);
  EXPECT_FALSE(r4.Type("HumanName")->is_resource);
  EXPECT_FALSE(r4.Type("HumanName")->is_primitive);
  ASSERT_NE(r4.Type("date"), nullptr);
  EXPECT_TRUE(r4.Type("date")->is_primitive);
  EXPECT_EQ(r4.Type("NoSuchThing"), nullptr);
}

TEST(DefinitionsTest, PatientElementsFollowTheSpecification) {
  const TypeDef* patient = Definitions::R4().Type("Patient");
  ASSERT_NE(patient, nullptr);
  EXPECT_TRUE(patient->is_resource);
  EXPECT_EQ(patient->elements.front().path, "Patient.id");  // root left out, specification order

  const ElementDef* name = FindElement(*patient, "Patient.name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->min, 0);
  EXPECT_EQ(name->max, -1);
  EXPECT_THAT(name->types, ElementsAre("HumanName"));

  const ElementDef* deceased = FindElement(*patient, "Patient.deceased[x]");
  ASSERT_NE(deceased, nullptr);
  EXPECT_EQ(deceased->max, 1);
  EXPECT_THAT(deceased->types, ElementsAre("boolean", "dateTime"));

  const ElementDef* organization = FindElement(*patient, "Patient.managingOrganization");
  ASSERT_NE(organization, nullptr);
  EXPECT_THAT(organization->types, ElementsAre("Reference"));
  EXPECT_THAT(organization->reference_targets, ElementsAre("Organization"));

  const ElementDef* practitioner = FindElement(*patient, "Patient.generalPractitioner");
  ASSERT_NE(practitioner, nullptr);
  EXPECT_THAT(practitioner->reference_targets,
              ElementsAre("Organization", "Practitioner", "PractitionerRole"));

  const ElementDef* gender = FindElement(*patient, "Patient.gender");
  ASSERT_NE(gender, nullptr);
  EXPECT_EQ(gender->required_value_set, "http://hl7.org/fhir/ValueSet/administrative-gender");
  // Only required bindings are kept.
  EXPECT_EQ(FindElement(*patient, "Patient.maritalStatus")->required_value_set, "");
  // Backbone elements come with their children.
  ASSERT_NE(FindElement(*patient, "Patient.contact.name"), nullptr);
}

TEST(DefinitionsTest, ResolvesSystemTypesAndContentReferences) {
  const Definitions& r4 = Definitions::R4();
  const ElementDef* url = FindElement(*r4.Type("Extension"), "Extension.url");
  ASSERT_NE(url, nullptr);
  EXPECT_EQ(url->min, 1);
  EXPECT_THAT(url->types, ElementsAre("uri"));

  const ElementDef* version = FindElement(*r4.Type("Meta"), "Meta.versionId");
  ASSERT_NE(version, nullptr);
  EXPECT_THAT(version->types, ElementsAre("id"));

  const ElementDef* range =
      FindElement(*r4.Type("Observation"), "Observation.component.referenceRange");
  ASSERT_NE(range, nullptr);
  EXPECT_EQ(range->content_reference, "#Observation.referenceRange");
  EXPECT_THAT(range->types, IsEmpty());

  const ElementDef* status = FindElement(*r4.Type("Observation"), "Observation.status");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->min, 1);
}

TEST(DefinitionsTest, PatientSearchParametersHaveTheirTypes) {
  const Definitions& r4 = Definitions::R4();
  const SearchParameterDef* family = r4.SearchParameter("Patient", "family");
  ASSERT_NE(family, nullptr);
  EXPECT_EQ(family->type, SearchParamType::kString);
  EXPECT_EQ(family->expression, "Patient.name.family");  // Practitioner's branch left out

  const SearchParameterDef* birthdate = r4.SearchParameter("Patient", "birthdate");
  ASSERT_NE(birthdate, nullptr);
  EXPECT_EQ(birthdate->type, SearchParamType::kDate);
  EXPECT_EQ(birthdate->expression, "Patient.birthDate");

  const SearchParameterDef* gender = r4.SearchParameter("Patient", "gender");
  ASSERT_NE(gender, nullptr);
  EXPECT_EQ(gender->type, SearchParamType::kToken);
  EXPECT_EQ(gender->expression, "Patient.gender");

  const SearchParameterDef* organization = r4.SearchParameter("Patient", "organization");
  ASSERT_NE(organization, nullptr);
  EXPECT_EQ(organization->type, SearchParamType::kReference);
  EXPECT_THAT(organization->targets, ElementsAre("Organization"));
}

TEST(DefinitionsTest, ObservationSearchParametersHaveTheirTypesAndTargets) {
  const Definitions& r4 = Definitions::R4();
  const SearchParameterDef* code = r4.SearchParameter("Observation", "code");
  ASSERT_NE(code, nullptr);
  EXPECT_EQ(code->type, SearchParamType::kToken);
  EXPECT_EQ(code->expression, "Observation.code");

  const SearchParameterDef* date = r4.SearchParameter("Observation", "date");
  ASSERT_NE(date, nullptr);
  EXPECT_EQ(date->type, SearchParamType::kDate);
  EXPECT_EQ(date->expression, "Observation.effective");

  const SearchParameterDef* subject = r4.SearchParameter("Observation", "subject");
  ASSERT_NE(subject, nullptr);
  EXPECT_EQ(subject->type, SearchParamType::kReference);
  EXPECT_THAT(subject->targets, Contains("Patient"));
  EXPECT_THAT(subject->targets, Contains("Group"));

  const SearchParameterDef* patient = r4.SearchParameter("Observation", "patient");
  ASSERT_NE(patient, nullptr);
  EXPECT_EQ(patient->expression, "Observation.subject.where(resolve() is Patient)");

  const SearchParameterDef* quantity = r4.SearchParameter("Observation", "value-quantity");
  ASSERT_NE(quantity, nullptr);
  EXPECT_EQ(quantity->type, SearchParamType::kQuantity);
  EXPECT_EQ(quantity->expression,
            "(Observation.value as Quantity) | (Observation.value as SampledData)");

  const SearchParameterDef* composite = r4.SearchParameter("Observation", "code-value-quantity");
  ASSERT_NE(composite, nullptr);
  EXPECT_EQ(composite->type, SearchParamType::kComposite);
}

TEST(DefinitionsTest, SearchParametersIncludeInheritedOnes) {
  const Definitions& r4 = Definitions::R4();
  for (std::string_view type : {"Patient", "Observation", "Binary", "Bundle"}) {
    SCOPED_TRACE(type);
    for (std::string_view code :
         {"_id", "_lastUpdated", "_tag", "_profile", "_security", "_source"}) {
      EXPECT_NE(r4.SearchParameter(type, code), nullptr) << code;
    }
  }
  const SearchParameterDef* id = r4.SearchParameter("Patient", "_id");
  EXPECT_EQ(id->type, SearchParamType::kToken);
  EXPECT_EQ(id->expression, "Patient.id");  // Resource.id restated for the type
  EXPECT_EQ(r4.SearchParameter("Patient", "_lastUpdated")->type, SearchParamType::kDate);
  EXPECT_EQ(r4.SearchParameter("Patient", "_lastUpdated")->expression, "Patient.meta.lastUpdated");
  // The specification gives _text and _content no expression.
  ASSERT_NE(r4.SearchParameter("Patient", "_text"), nullptr);
  EXPECT_EQ(r4.SearchParameter("Patient", "_text")->type, SearchParamType::kSpecial);
  EXPECT_EQ(r4.SearchParameter("Patient", "_content")->type, SearchParamType::kSpecial);
  // Binary and Bundle are not DomainResources.
  EXPECT_EQ(r4.SearchParameter("Binary", "_text"), nullptr);
  // No duplicates.
  const auto& parameters = r4.SearchParameters("Patient");
  for (size_t i = 0; i < parameters.size(); ++i) {
    for (size_t j = i + 1; j < parameters.size(); ++j)
      EXPECT_NE(parameters[i].code, parameters[j].code);
  }
}

TEST(DefinitionsTest, EveryExpressionStartsWithItsType) {
  const Definitions& r4 = Definitions::R4();
  for (const std::string& type : r4.StoredResourceTypes()) {
    for (const SearchParameterDef& parameter : r4.SearchParameters(type)) {
      if (parameter.type == SearchParamType::kSpecial) continue;
      std::string_view expression = parameter.expression;
      expression.remove_prefix(std::min(expression.find_first_not_of('('), expression.size()));
      // Composite parameters may start at the resource itself ("Observation |
      // Observation.component").
      EXPECT_TRUE(expression.starts_with(type + ".") || expression.starts_with(type + " |") ||
                  expression == type)
          << type << " " << parameter.code << ": " << expression;
    }
  }
}

TEST(DefinitionsTest, RequiredValueSetsAreExpanded) {
  const Definitions& r4 = Definitions::R4();
  const std::vector<std::string>* gender =
      r4.ValueSetCodes("http://hl7.org/fhir/ValueSet/administrative-gender");
  ASSERT_NE(gender, nullptr);
  EXPECT_THAT(*gender, UnorderedElementsAre("male", "female", "other", "unknown"));
  const std::vector<std::string>* status =
      r4.ValueSetCodes("http://hl7.org/fhir/ValueSet/observation-status");
  ASSERT_NE(status, nullptr);
  EXPECT_THAT(*status, Contains("final"));
  EXPECT_THAT(*status, Contains("entered-in-error"));
  EXPECT_EQ(r4.ValueSetCodes("http://example.org/ValueSet/none"), nullptr);
  EXPECT_EQ(r4.ValueSetCodes("http://hl7.org/fhir/ValueSet/mimetypes"), nullptr);  // not expandable
}

TEST(DefinitionsTest, UnknownTypesGiveNothing) {
  const Definitions& r4 = Definitions::R4();
  EXPECT_EQ(r4.Type("Questionnaire"), nullptr);
  EXPECT_THAT(r4.SearchParameters("NoSuchType"), IsEmpty());
  EXPECT_EQ(r4.SearchParameter("NoSuchType", "_id"), nullptr);
  EXPECT_EQ(r4.SearchParameter("Patient", "no-such-parameter"), nullptr);
}

TEST(DefinitionsTest, StoredResourceTypesAreTheClinicalRecordAndCoverage) {
  EXPECT_THAT(Definitions::R4().StoredResourceTypes(),
              ElementsAre("Patient", "Encounter", "Condition", "Procedure", "Observation",
                          "DiagnosticReport", "DocumentReference", "Binary", "MedicationRequest",
                          "AllergyIntolerance", "Immunization", "ServiceRequest", "CarePlan",
                          "Goal", "Claim", "ExplanationOfBenefit", "ImagingStudy", "Organization",
                          "Practitioner", "Location", "Coverage"));
  for (const std::string& type : Definitions::R4().StoredResourceTypes()) {
    EXPECT_FALSE(Definitions::R4().SearchParameters(type).empty()) << type;
  }
}

TEST(DefinitionsTest, ParsesSmallDefinitions) {
  ASSERT_OK_AND_ASSIGN(
      Definitions definitions,
      Definitions::Parse(
          R"({"types": {
                "Resource": {"kind": "resource", "base": "", "elements": [
                  {"path": "Resource.id", "min": 0, "max": "1", "types": ["id"]}]},
                "Thing": {"kind": "resource", "base": "Resource", "elements": [
                  {"path": "Thing.id", "min": 0, "max": "1", "types": ["id"]},
                  {"path": "Thing.part", "min": 1, "max": "3", "types": ["string"]}]}}})",
          R"({"Resource": [{"code": "_id", "type": "token", "expression": "Resource.id"}],
              "Thing": [{"code": "part", "type": "string", "expression": "Thing.part"}]})",
          R"({"http://example.org/vs": ["a", "b"]})"));
  EXPECT_TRUE(definitions.IsResourceType("Thing"));
  EXPECT_EQ(definitions.Type("Thing")->elements[1].max, 3);
  EXPECT_EQ(definitions.Type("Thing")->elements[1].min, 1);
  ASSERT_EQ(definitions.SearchParameters("Thing").size(), 2u);
  EXPECT_EQ(definitions.SearchParameter("Thing", "_id")->expression, "Thing.id");
  EXPECT_THAT(*definitions.ValueSetCodes("http://example.org/vs"), ElementsAre("a", "b"));
  EXPECT_THAT(definitions.StoredResourceTypes(), IsEmpty());
}

TEST(DefinitionsTest, RejectsMalformedFiles) {
  EXPECT_FALSE(Definitions::Parse("{", "{}", "{}").ok());
  EXPECT_FALSE(
      Definitions::Parse(R"({"types": {}})", R"({"Thing": [{"code": "x", "type": "weird"}]})", "{}")
          .ok());
  EXPECT_FALSE(Definitions::Parse(R"({"types": {"T": {"kind": "resource"}}})", "{}", "{}").ok());
}

TEST(DefinitionsTest, NamesSearchParamTypes) {
  EXPECT_EQ(SearchParamTypeName(SearchParamType::kQuantity), "quantity");
  EXPECT_EQ(SearchParamTypeName(SearchParamType::kReference), "reference");
}

}  // namespace
}  // namespace custos::clinical
