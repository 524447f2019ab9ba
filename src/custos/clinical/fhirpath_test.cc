#include "custos/clinical/fhirpath.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "custos/clinical/definitions.h"
#include "custos/core/json.h"
#include "testing/status_matchers.h"

namespace custos::clinical {
namespace {

// A resource as the store reads it; keeps its text alive for the document.
struct Resource {
  explicit Resource(std::string json) : text(std::move(json)) {
    const Status parsed = document->Parse(text);
    EXPECT_TRUE(parsed.ok()) << parsed.ToString();
  }
  std::string text;
  std::unique_ptr<JsonDocument> document = std::make_unique<JsonDocument>();
};

Resource Parse(const char* text) { return Resource(text); }

// The values of `expression` on `resource`, each as its compact JSON text (as nlohmann writes
// it, so that numbers compare by value).
std::vector<std::string> Values(std::string_view expression, const Resource& resource) {
  Result<FhirPath> path = FhirPath::Compile(expression);
  EXPECT_TRUE(path.ok()) << path.status().ToString();
  if (!path.ok()) return {};
  std::vector<std::string> texts;
  for (const PathValue& value : path->Evaluate(resource.document->root()))
    texts.push_back(Json::parse(value.value.Compact()).dump());
  return texts;
}

// The FHIR types recorded for the values of `expression` on `resource`.
std::vector<std::string> Types(std::string_view expression, const Resource& resource) {
  Result<FhirPath> path = FhirPath::Compile(expression);
  EXPECT_TRUE(path.ok()) << path.status().ToString();
  if (!path.ok()) return {};
  std::vector<std::string> types;
  for (const PathValue& value : path->Evaluate(resource.document->root()))
    types.emplace_back(value.type);
  return types;
}

using Texts = std::vector<std::string>;

const char* const kPatient = R"({
  "resourceType": "Patient", "id": "p1",
  "extension": [
    {"url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName", "valueString": "Eloisa Arevalo"},
    {"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex", "valueCode": "M"}
  ],
  "identifier": [{"system": "http://hospital.example.org", "value": "MRN-1"}],
  "name": [
    {"use": "official", "family": "Fonseca", "given": ["Agustín", "José"], "prefix": ["Mr."]},
    {"use": "maiden", "family": "Arevalo", "given": ["Agustín"]}
  ],
  "telecom": [
    {"system": "phone", "value": "555-929-9025", "use": "home"},
    {"system": "email", "value": "agustin@example.org"},
    {"system": "phone", "value": "555-000-1111", "use": "work"}
  ],
  "gender": "male",
  "birthDate": "1994-02-01",
  "deceasedBoolean": false,
  "generalPractitioner": [{"reference": "Practitioner/dr1"}, {"reference": "Organization/org1"}]
})";

const char* const kObservation = R"({
  "resourceType": "Observation", "id": "o1", "status": "final",
  "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}], "text": "Blood pressure"},
  "subject": {"reference": "Patient/p1"},
  "effectiveDateTime": "2011-12-13T22:28:27+00:00",
  "valueQuantity": {"value": 178.7, "unit": "cm", "system": "http://unitsofmeasure.org", "code": "cm"},
  "component": [
    {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
     "valueQuantity": {"value": 120, "unit": "mm[Hg]"}},
    {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
     "valueQuantity": {"value": 80, "unit": "mm[Hg]"}},
    {"code": {"coding": [{"system": "http://loinc.org", "code": "9999-9"}]},
     "valueCodeableConcept": {"text": "absent"}}
  ]
})";

TEST(FhirPathTest, NavigatesAndFlattensArrays) {
  const Resource patient = Parse(kPatient);
  EXPECT_EQ(Values("Patient.name.family", patient), (Texts{R"("Fonseca")", R"("Arevalo")"}));
  EXPECT_EQ(Values("Patient.name.given", patient),
            (Texts{R"("Agustín")", R"("José")", R"("Agustín")"}));
  EXPECT_EQ(Values("Patient.gender", patient), Texts{R"("male")"});
  EXPECT_TRUE(Values("Patient.multipleBirth", patient).empty());
  EXPECT_TRUE(Values("Patient.name.nothing.here", patient).empty());
}

TEST(FhirPathTest, LeadingTypeNameSelectsOnlyThatResourceType) {
  const Resource patient = Parse(kPatient);
  EXPECT_EQ(Values("Resource.id", patient), Texts{R"("p1")"});
  EXPECT_EQ(Values("DomainResource.id", patient), Texts{R"("p1")"});
  EXPECT_TRUE(Values("Observation.code", patient).empty());
  // A union across types applies only the branch of the resource's own type.
  EXPECT_EQ(Values("Practitioner.gender | Patient.gender | Person.gender", patient),
            Texts{R"("male")"});
  EXPECT_EQ(Types("Patient", patient), Texts{"Patient"});
}

TEST(FhirPathTest, ChoiceElementsAreFoundByTheirSuffixAndTyped) {
  const Resource observation = Parse(kObservation);
  EXPECT_EQ(Types("Observation.value", observation), Texts{"Quantity"});
  EXPECT_EQ(Types("Observation.effective", observation), Texts{"dateTime"});
  EXPECT_EQ(Values("Observation.effective", observation), Texts{R"("2011-12-13T22:28:27+00:00")"});
  EXPECT_EQ(Types("Observation.component.value", observation),
            (Texts{"Quantity", "Quantity", "CodeableConcept"}));
  // A plain element whose name prefixes others is not mistaken for a choice.
  const Resource encounter =
      Parse(R"({"resourceType": "Encounter", "classHistory": [{"class": {"code": "AMB"}}]})");
  EXPECT_TRUE(Values("Encounter.class", encounter).empty());
}

TEST(FhirPathTest, AsAndOfTypeFilterByType) {
  const Resource observation = Parse(kObservation);
  EXPECT_EQ(Values("(Observation.value as Quantity).value", observation), Texts{"178.7"});
  EXPECT_TRUE(Values("(Observation.value as CodeableConcept)", observation).empty());
  EXPECT_EQ(Values("(Observation.value as Quantity) | (Observation.value as SampledData) | "
                   "(Observation.component.value as Quantity) | (Observation.component.value as "
                   "SampledData)",
                   observation)
                .size(),
            3U);
  EXPECT_EQ(
      Values(
          "(Observation.value as string) | (Observation.component.value as CodeableConcept).text",
          observation),
      Texts{R"("absent")"});
  EXPECT_EQ(Values("Observation.component.value.ofType(CodeableConcept).text", observation),
            Texts{R"("absent")"});
  EXPECT_EQ(Values("Observation.effective.as(FHIR.dateTime)", observation).size(), 1U);

  const Resource condition = Parse(R"({"resourceType": "Condition",
      "onsetAge": {"value": 52, "unit": "a", "system": "http://unitsofmeasure.org", "code": "a"},
      "abatementPeriod": {"start": "2020-01-01"}})");
  EXPECT_EQ(Values("Condition.onset.as(Age) | Condition.onset.as(Range)", condition).size(), 1U);
  EXPECT_EQ(Values("Condition.onset.as(Quantity)", condition).size(), 1U) << "Age is a Quantity";
  EXPECT_TRUE(
      Values("Condition.onset.as(dateTime) | Condition.onset.as(Period)", condition).empty());
  EXPECT_EQ(Types("Condition.abatement.as(dateTime) | Condition.abatement.as(Period)", condition),
            Texts{"Period"});
  EXPECT_EQ(Values("Condition.onset is Age", condition), Texts{"true"});
  EXPECT_EQ(Values("Condition.onset.is(Period)", condition), Texts{"false"});
}

TEST(FhirPathTest, WhereFiltersWithEquality) {
  const Resource patient = Parse(kPatient);
  EXPECT_EQ(Values("Patient.telecom.where(system='phone').value", patient),
            (Texts{R"("555-929-9025")", R"("555-000-1111")"}));
  EXPECT_EQ(Values("Patient.telecom.where(system='email').value", patient),
            Texts{R"("agustin@example.org")"});
  EXPECT_EQ(Values("Patient.telecom.where(system != 'phone').value", patient),
            Texts{R"("agustin@example.org")"});
  EXPECT_EQ(Values("Patient.telecom.where(system='phone' and use='work').value", patient),
            Texts{R"("555-000-1111")"});
  EXPECT_EQ(Values("Patient.telecom.where(use='work' or system='email').value", patient).size(),
            2U);
  EXPECT_EQ(Values("Patient.name.given.where($this = 'José')", patient), Texts{R"("José")"});
  EXPECT_TRUE(Values("Patient.name.where(given = 'José').family", patient).empty())
      << "a multi-valued left side is not equal to a single value";
  EXPECT_TRUE(Values("Patient.telecom.where(rank = 1)", patient).empty())
      << "empty compares as unknown";
}

TEST(FhirPathTest, ResolveIsChecksTheReferenceTargetType) {
  const Resource observation =
      Parse(R"({"resourceType": "Observation", "subject": {"reference": "Patient/p1"}})");
  EXPECT_EQ(Values("Observation.subject.where(resolve() is Patient)", observation).size(), 1U);
  EXPECT_TRUE(Values("Observation.subject.where(resolve() is Group)", observation).empty());

  auto subject_is_patient = [](const char* subject) {
    const Resource resource =
        Resource(std::string(R"({"resourceType": "Observation", "subject": )") + subject + "}");
    return Values("Observation.subject.where(resolve() is Patient)", resource).size() == 1;
  };
  EXPECT_TRUE(subject_is_patient(R"({"reference": "https://fhir.example.org/r4/Patient/p1"})"));
  EXPECT_TRUE(subject_is_patient(R"({"reference": "Patient/p1/_history/3"})"));
  EXPECT_TRUE(subject_is_patient(R"({"reference": "urn:uuid:27de96c6", "type": "Patient"})"));
  EXPECT_FALSE(subject_is_patient(R"({"reference": "urn:uuid:27de96c6"})"));
  EXPECT_FALSE(subject_is_patient(R"({"reference": "#contained"})"));
  EXPECT_FALSE(subject_is_patient(R"({"reference": "Group/g1"})"));
  EXPECT_FALSE(subject_is_patient(R"({"display": "no reference"})"));

  const Resource patient = Parse(kPatient);
  EXPECT_EQ(
      Values("Patient.generalPractitioner.where(resolve() is Organization).reference", patient),
      Texts{R"("Organization/org1")"});
}

TEST(FhirPathTest, BooleanExpressionsUseThreeValuedLogic) {
  const char* expression = "Patient.deceased.exists() and Patient.deceased != false";
  EXPECT_EQ(Values(expression, Parse(R"({"resourceType": "Patient", "deceasedBoolean": false})")),
            Texts{"false"});
  EXPECT_EQ(Values(expression, Parse(R"({"resourceType": "Patient", "deceasedBoolean": true})")),
            Texts{"true"});
  EXPECT_EQ(
      Values(expression, Parse(R"({"resourceType": "Patient", "deceasedDateTime": "2020-04-01"})")),
      Texts{"true"});
  EXPECT_EQ(Values(expression, Parse(R"({"resourceType": "Patient"})")), Texts{"false"});
  EXPECT_EQ(Types(expression, Parse(R"({"resourceType": "Patient"})")), Texts{"boolean"});

  const Resource patient = Parse(kPatient);
  EXPECT_EQ(Values("Patient.name.exists()", patient), Texts{"true"});
  EXPECT_EQ(Values("Patient.photo.exists()", patient), Texts{"false"});
  EXPECT_EQ(Values("Patient.photo.empty()", patient), Texts{"true"});
  EXPECT_EQ(Values("Patient.photo.empty().not()", patient), Texts{"false"});
  EXPECT_EQ(Values("Patient.telecom.exists(system = 'email')", patient), Texts{"true"});
  EXPECT_EQ(Values("Patient.telecom.exists(system = 'fax')", patient), Texts{"false"});
  EXPECT_TRUE(Values("Patient.photo = 'x'", patient).empty());
  EXPECT_TRUE(Values("Patient.photo.exists() or Patient.active", patient).empty())
      << "false or unknown is unknown";
  EXPECT_EQ(Values("Patient.name.exists() or Patient.active", patient), Texts{"true"});
}

TEST(FhirPathTest, UnionKeepsEachValueOnce) {
  const Resource observation = Parse(kObservation);
  EXPECT_EQ(Values("Observation.code | Observation.component.code", observation).size(), 4U);
  const Resource patient = Parse(kPatient);
  EXPECT_EQ(Values("Patient.name | Patient.name", patient).size(), 2U);
  EXPECT_EQ(Values("Patient.name.family | Patient.gender", patient).size(), 3U);
}

TEST(FhirPathTest, ExtensionSelectsByUrl) {
  const Resource patient = Parse(kPatient);
  EXPECT_EQ(Values("Patient.extension('http://hl7.org/fhir/StructureDefinition/"
                   "patient-mothersMaidenName').value",
                   patient),
            Texts{R"("Eloisa Arevalo")"});
  EXPECT_EQ(Types("Patient.extension('http://hl7.org/fhir/us/core/StructureDefinition/"
                  "us-core-birthsex').value",
                  patient),
            Texts{"code"});
  EXPECT_TRUE(Values("Patient.extension('http://example.org/none')", patient).empty());
}

TEST(FhirPathTest, FirstAndIndexerTakeOneItem) {
  const Resource patient = Parse(kPatient);
  EXPECT_EQ(Values("Patient.name.given.first()", patient), Texts{R"("Agustín")"});
  EXPECT_EQ(Values("Patient.name.first().given", patient), (Texts{R"("Agustín")", R"("José")"}));
  EXPECT_EQ(Values("Patient.name[1].family", patient), Texts{R"("Arevalo")"});
  EXPECT_TRUE(Values("Patient.name[5]", patient).empty());
  EXPECT_TRUE(Values("Patient.photo.first()", patient).empty());
}

TEST(FhirPathTest, LiteralsAndParentheses) {
  const Resource patient = Parse(kPatient);
  EXPECT_EQ(Values("'it\\'s'", patient), Texts{R"("it's")"});
  EXPECT_EQ(Values("12", patient), Texts{"12"});
  EXPECT_EQ(Values("(Patient.gender)", patient), Texts{R"("male")"});
  EXPECT_EQ(
      Values("Patient.telecom.where(system = 'phone' and (use = 'work' or use = 'temp')).value",
             patient),
      Texts{R"("555-000-1111")"});
  EXPECT_EQ(Values("Patient.`gender`", patient), Texts{R"("male")"});
}

TEST(FhirPathTest, CompileRejectsUnsupportedConstructsNamingThem) {
  struct Case {
    const char* expression;
    const char* named;
  };
  for (const Case& c :
       {Case{"Patient.name.count()", "count()"}, Case{"Patient.birthDate < @2000", "'<'"},
        Case{"Observation.value + 1", "'+'"}, Case{"%resource.id", "'%'"},
        Case{"Patient.link.other.resolve()", "resolve()"},
        Case{"Patient.name implies true", "implies"},
        Case{"Patient.name.where(", "end of expression"}, Case{"Patient.name)", "')'"},
        Case{"Patient.name['x']", "indexer"}, Case{"'open", "unterminated"}}) {
    Result<FhirPath> path = FhirPath::Compile(c.expression);
    ASSERT_FALSE(path.ok()) << c.expression;
    EXPECT_EQ(path.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(path.status().message().find(c.named), std::string::npos) << path.status().message();
  }
}

TEST(FhirPathTest, KeepsTheExpressionText) {
  ASSERT_OK_AND_ASSIGN(FhirPath path, FhirPath::Compile("Patient.name.family"));
  EXPECT_EQ(path.expression(), "Patient.name.family");
}

TEST(FhirPathTest, CompilesEverySearchParameterExpressionOfTheStoredTypes) {
  const Definitions& definitions = Definitions::R4();
  std::size_t compiled = 0;
  for (const std::string& type : definitions.StoredResourceTypes()) {
    const std::vector<SearchParameterDef>& parameters = definitions.SearchParameters(type);
    EXPECT_FALSE(parameters.empty()) << type;
    for (const SearchParameterDef& parameter : parameters) {
      if (parameter.expression.empty()) continue;
      Result<FhirPath> path = FhirPath::Compile(parameter.expression);
      EXPECT_TRUE(path.ok()) << type << "." << parameter.code << ": " << path.status().ToString();
      ++compiled;
    }
  }
  EXPECT_GT(compiled, 300U);
}

}  // namespace
}  // namespace custos::clinical
