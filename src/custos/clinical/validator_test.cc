#include "custos/clinical/validator.h"
#include "testing/status_matchers.h"
#include "testing/test_data.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace custos::clinical {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// tests/data/fhir/synthea: three Synthea bundles (see the README there).
std::filesystem::path SyntheaFolder() { return testing::TestData("fhir/synthea"); }

std::string Describe(const std::vector<ValidationIssue>& issues) {
  std::string out;
  for (const ValidationIssue& issue : issues) {
    out += issue.code + " " + issue.expression + ": " + issue.message + "\n";
  }
  return out;
}

class ValidatorTest : public ::testing::Test {
 protected:
  std::vector<ValidationIssue> Validate(std::string_view text) const {
    JsonDocument document;
    EXPECT_OK(document.Parse(text));
    return validator_.Validate(document.root());
  }
  // The expressions of the issues found, in order.
  std::vector<std::string> Expressions(std::string_view text) const {
    std::vector<std::string> out;
    for (const ValidationIssue& issue : Validate(text)) out.push_back(issue.expression);
    return out;
  }
  // The single issue found; fails the test unless there is exactly one.
  ValidationIssue OnlyIssue(std::string_view text) const {
    std::vector<ValidationIssue> issues = Validate(text);
    EXPECT_EQ(issues.size(), 1u) << Describe(issues);
    return issues.empty() ? ValidationIssue{} : issues.front();
  }

  Validator validator_{Definitions::R4()};
};

TEST_F(ValidatorTest, AcceptsAMinimalPatient) {
  EXPECT_THAT(Validate(R"({"resourceType": "Patient"})"), IsEmpty());
}

TEST_F(ValidatorTest, AcceptsAFullPatient) {
  std::vector<ValidationIssue> issues = Validate(R"({
    "resourceType": "Patient", "id": "p-1",
    "meta": {"versionId": "3", "lastUpdated": "2024-05-01T10:00:00.123+02:00", "tag": [{"code": "x"}]},
    "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Ann</div>"},
    "identifier": [{"system": "urn:oid:2.16.840.1.113883.4.1", "value": "999-99-9999"}],
    "active": true,
    "name": [{"use": "official", "family": "Smith", "given": ["Ann", "Marie"], "period": {"start": "2001"}}],
    "telecom": [{"system": "phone", "value": "555-1234", "rank": 1}],
    "gender": "female", "birthDate": "1990-02-28", "deceasedBoolean": false,
    "address": [{"line": ["1 Main St"], "city": "Boston", "state": "MA", "postalCode": "02110"}],
    "multipleBirthInteger": 2,
    "contact": [{"relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0131", "code": "N"}]}],
                 "name": {"family": "Smith"}, "gender": "male", "organization": {"reference": "Organization/o1"}}],
    "communication": [{"language": {"text": "English"}, "preferred": true}],
    "generalPractitioner": [{"reference": "Practitioner/pr1", "display": "Dr Who"}],
    "managingOrganization": {"reference": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"},
    "extension": [{"url": "http://example.org/ext", "valueCodeableConcept": {"text": "x"}},
                  {"url": "http://example.org/complex", "extension": [{"url": "a", "valueDecimal": 1.5}]}]
  })");
  EXPECT_THAT(issues, IsEmpty()) << Describe(issues);
}

TEST_F(ValidatorTest, AcceptsEveryResourceOfTheSyntheaBundles) {
  const std::filesystem::path folder = SyntheaFolder();
  ASSERT_TRUE(std::filesystem::exists(folder)) << folder;
  size_t bundles = 0;
  size_t resources = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream file(entry.path());
    std::stringstream text;
    text << file.rdbuf();
    const std::string json = text.str();
    JsonDocument bundle;
    ASSERT_OK(bundle.Parse(json));
    ++bundles;
    for (const JsonValue item : bundle.root().find("entry").children()) {
      std::vector<ValidationIssue> issues = validator_.Validate(item.find("resource"));
      EXPECT_THAT(issues, IsEmpty())
          << entry.path().filename() << " " << item.find("fullUrl").string() << "\n"
          << Describe(issues);
      ++resources;
    }
    // The transaction bundle as a whole, request elements included.
    std::vector<ValidationIssue> issues = validator_.Validate(bundle.root());
    EXPECT_THAT(issues, IsEmpty()) << entry.path().filename() << "\n" << Describe(issues);
  }
  EXPECT_GE(bundles, 3u);
  EXPECT_GT(resources, 200u);
}

TEST_F(ValidatorTest, ReportsUnknownElements) {
  ValidationIssue issue = OnlyIssue(R"({"resourceType": "Patient", "nickname": "Al"})");
  EXPECT_EQ(issue.code, "structure");
  EXPECT_EQ(issue.expression, "Patient.nickname");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "name": [{"family": "A", "surname": "B"}]})")
                .expression,
            "Patient.name[0].surname");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "contact": [{}, {"nick": "x"}]})").expression,
            "Patient.contact[1].nick");
  // resourceType is only known at a resource's root.
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "name": [{"resourceType": "HumanName"}]})")
                .expression,
            "Patient.name[0].resourceType");
}

TEST_F(ValidatorTest, ReportsWrongPrimitiveFormats) {
  ValidationIssue issue = OnlyIssue(R"({"resourceType": "Patient", "birthDate": "1990-13-45"})");
  EXPECT_EQ(issue.code, "value");
  EXPECT_EQ(issue.expression, "Patient.birthDate");
  EXPECT_THAT(issue.message, ::testing::HasSubstr("1990-13-45"));
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "active": "true"})").expression,
            "Patient.active");
  EXPECT_EQ(
      OnlyIssue(R"({"resourceType": "Patient", "name": [{"given": ["Ann", ""]}]})").expression,
      "Patient.name[0].given[1]");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "name": [{"given": [7]}]})").expression,
            "Patient.name[0].given[0]");
}

TEST_F(ValidatorTest, ReportsCodesOutsideARequiredValueSet) {
  ValidationIssue issue = OnlyIssue(R"({"resourceType": "Patient", "gender": "m"})");
  EXPECT_EQ(issue.code, "code-invalid");
  EXPECT_EQ(issue.expression, "Patient.gender");
  EXPECT_THAT(issue.message, ::testing::HasSubstr("administrative-gender"));
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "contact": [{"gender": "M"}]})").expression,
            "Patient.contact[0].gender");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "name": [{"use": "nick"}]})").expression,
            "Patient.name[0].use");
  // Bindings that are not required are not checked.
  EXPECT_THAT(
      Validate(R"({"resourceType": "Patient", "maritalStatus": {"coding": [{"code": "zz"}]}})"),
      IsEmpty());
}

TEST_F(ValidatorTest, ReportsMissingRequiredElements) {
  std::vector<ValidationIssue> issues = Validate(R"({"resourceType": "Observation"})");
  ASSERT_EQ(issues.size(), 2u) << Describe(issues);
  EXPECT_EQ(issues[0].code, "required");
  EXPECT_EQ(issues[0].expression, "Observation.status");
  EXPECT_EQ(issues[1].expression, "Observation.code");
  EXPECT_THAT(
      Validate(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"}})"),
      IsEmpty());
  // In datatypes and backbone elements too.
  EXPECT_EQ(
      OnlyIssue(R"({"resourceType": "Patient", "extension": [{"valueString": "x"}]})").expression,
      "Patient.extension[0].url");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "communication": [{"preferred": true}]})")
                .expression,
            "Patient.communication[0].language");
}

TEST_F(ValidatorTest, ReportsArraysAndSingleValuesInTheWrongPlace) {
  ValidationIssue issue = OnlyIssue(R"({"resourceType": "Patient", "birthDate": ["1990-01-01"]})");
  EXPECT_EQ(issue.code, "structure");
  EXPECT_EQ(issue.expression, "Patient.birthDate");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "name": {"family": "Smith"}})").expression,
            "Patient.name");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "name": []})").expression, "Patient.name");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "name": ["Smith"]})").expression,
            "Patient.name[0]");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "name": [{"given": "Ann"}]})").expression,
            "Patient.name[0].given");
}

TEST_F(ValidatorTest, ChecksReferenceSyntaxAndTargets) {
  ValidationIssue issue =
      OnlyIssue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                                        "subject": {"reference": "Patient//1"}})");
  EXPECT_EQ(issue.code, "value");
  EXPECT_EQ(issue.expression, "Observation.subject.reference");
  for (const char* bad :
       {"Organization/", "organization/1", "Organization/1 2", "Organization/1/_history/",
        "Organization/1/x", "urn:uuid:not-a-uuid", "#a b", "1", ""}) {
    std::string text =
        std::string(R"({"resourceType": "Patient", "managingOrganization": {"reference": ")") +
        bad + "\"}}";
    EXPECT_EQ(Validate(text).size(), 1u) << bad;
  }
  for (const char* good :
       {"Organization/1", "Organization/a.b-c/_history/2", "#org", "#",
        "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0", "http://example.org/fhir/Organization/1",
        "Organization?identifier=http://example.org|123"}) {
    std::string text =
        std::string(R"({"resourceType": "Patient", "managingOrganization": {"reference": ")") +
        good + "\"}}";
    EXPECT_THAT(Validate(text), IsEmpty()) << good;
  }
  // Patient.managingOrganization may only point to an Organization.
  EXPECT_EQ(
      OnlyIssue(
          R"({"resourceType": "Patient", "managingOrganization": {"reference": "Patient/1"}})")
          .expression,
      "Patient.managingOrganization.reference");
  // Extension values may point anywhere.
  EXPECT_THAT(
      Validate(R"({"resourceType": "Patient", "extension": [{"url": "http://e", "valueReference":
                           {"reference": "Questionnaire/1"}}]})"),
      IsEmpty());
}

TEST_F(ValidatorTest, ChecksChoiceElements) {
  EXPECT_THAT(Validate(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                           "valueQuantity": {"value": 5.4, "unit": "mg"}, "effectiveDateTime": "2020-01-01"})"),
              IsEmpty());
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                          "valueAddress": {}})")
                .expression,
            "Observation.valueAddress");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                          "value": 5})")
                .expression,
            "Observation.value");
  ValidationIssue issue =
      OnlyIssue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                                        "valueQuantity": {"value": 1}, "valueString": "one"})");
  EXPECT_EQ(issue.code, "structure");
  EXPECT_EQ(issue.expression, "Observation.valueString");
  EXPECT_EQ(
      OnlyIssue(R"({"resourceType": "Patient", "deceasedDateTime": "2020-02-30"})").expression,
      "Patient.deceasedDateTime");
}

TEST_F(ValidatorTest, AcceptsPrimitiveExtensions) {
  EXPECT_THAT(Validate(R"({"resourceType": "Patient", "birthDate": "1990-01-01",
                           "_birthDate": {"id": "b", "extension": [{"url": "http://e", "valueDateTime": "1990-01-01T08:30:00Z"}]},
                           "_gender": {"extension": [{"url": "http://e", "valueString": "x"}]},
                           "name": [{"given": [null, "B"], "_given": [{"extension": [{"url": "http://e", "valueCode": "x"}]}, null]}]})"),
              IsEmpty());
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "_birthDate": {"value": "x"}})").expression,
            "Patient._birthDate.value");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "_name": {}})").expression, "Patient._name");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "name": [{"given": [null]}]})").expression,
            "Patient.name[0].given[0]");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "name": [{"_given": [null, {"id": 5}]}]})")
                .expression,
            "Patient.name[0]._given[1].id");
  // A primitive extension satisfies a minimum cardinality.
  EXPECT_THAT(
      Validate(R"({"resourceType": "Observation", "_status": {"extension": [{"url": "http://e",
                           "valueCode": "x"}]}, "code": {"text": "x"}})"),
      IsEmpty());
}

TEST_F(ValidatorTest, ChecksResourceTypeIdAndMeta) {
  EXPECT_EQ(OnlyIssue(R"({"id": "1"})").code, "required");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Wizard"})").code, "not-supported");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "DomainResource"})").code, "not-supported");
  EXPECT_EQ(OnlyIssue(R"([1, 2])").code, "structure");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "id": "a b"})").expression, "Patient.id");
  EXPECT_EQ(
      OnlyIssue(
          R"({"resourceType": "Patient", "id": "x2345678901234567890123456789012345678901234567890123456789012345"})")
          .expression,
      "Patient.id");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "meta": {"versionId": "1 2"}})").expression,
            "Patient.meta.versionId");
  EXPECT_EQ(
      OnlyIssue(R"({"resourceType": "Patient", "meta": {"lastUpdated": "2020-01-01"}})").expression,
      "Patient.meta.lastUpdated");
  EXPECT_THAT(
      Validate(
          R"({"resourceType": "Binary", "id": "b1", "contentType": "application/pdf", "data": "SGVsbG8="})"),
      IsEmpty());
}

TEST_F(ValidatorTest, ValidatesContainedResourcesAndBundleEntries) {
  EXPECT_THAT(
      Validate(
          R"({"resourceType": "Patient", "contained": [{"resourceType": "Organization", "id": "o",
                           "name": "Acme"}], "managingOrganization": {"reference": "#o"}})"),
      IsEmpty());
  EXPECT_EQ(
      OnlyIssue(
          R"({"resourceType": "Patient", "contained": [{"resourceType": "Organization", "id": "o"},
                          {"resourceType": "Organization", "nom": "Acme"}]})")
          .expression,
      "Patient.contained[1].nom");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "contained": [{"name": "Acme"}]})").expression,
            "Patient.contained[0]");
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Patient", "contained": [{"resourceType": "Organization",
                          "contained": [{"resourceType": "Organization"}]}]})")
                .expression,
            "Patient.contained[0].contained");
  std::vector<std::string> expressions =
      Expressions(R"({"resourceType": "Bundle", "type": "transaction", "entry": [
      {"fullUrl": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0", "resource": {"resourceType": "Patient"},
       "request": {"method": "POST", "url": "Patient"}},
      {"resource": {"resourceType": "Patient", "gender": "m"}, "request": {"method": "PUSH", "url": "Patient"}}]})");
  // In the order the elements are written.
  EXPECT_THAT(expressions,
              ElementsAre("Bundle.entry[1].resource.gender", "Bundle.entry[1].request.method"));
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Bundle"})").expression, "Bundle.type");
}

TEST_F(ValidatorTest, FollowsContentReferences) {
  EXPECT_THAT(Validate(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                           "component": [{"code": {"text": "c"}, "referenceRange": [{"text": "normal"}]}]})"),
              IsEmpty());
  EXPECT_EQ(OnlyIssue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
                          "component": [{"code": {"text": "c"}, "referenceRange": [{"txt": "normal"}]}]})")
                .expression,
            "Observation.component[0].referenceRange[0].txt");
}

struct FormatCase {
  const char* element;  // an Extension.value[x] key
  const char* json;     // the value, as JSON
  bool valid;
};

class ValidatorFormatTest : public ::testing::TestWithParam<FormatCase> {};

TEST_P(ValidatorFormatTest, FollowsTheSpecification) {
  const FormatCase& c = GetParam();
  std::string text =
      std::string(R"({"resourceType": "Patient", "extension": [{"url": "http://e", ")") +
      c.element + "\": " + c.json + "}]}";
  JsonDocument document;
  ASSERT_OK(document.Parse(text));
  std::vector<ValidationIssue> issues = Validator(Definitions::R4()).Validate(document.root());
  if (c.valid) {
    EXPECT_THAT(issues, IsEmpty()) << c.element << " " << c.json << "\n" << Describe(issues);
  } else {
    ASSERT_EQ(issues.size(), 1u) << c.element << " " << c.json << "\n" << Describe(issues);
    EXPECT_EQ(issues[0].expression, std::string("Patient.extension[0].") + c.element);
  }
}

INSTANTIATE_TEST_SUITE_P(
    ValidatorFormats, ValidatorFormatTest,
    ::testing::Values(
        FormatCase{"valueDate", R"("2024")", true}, FormatCase{"valueDate", R"("2024-02")", true},
        FormatCase{"valueDate", R"("2024-02-29")", true},
        FormatCase{"valueDate", R"("2023-02-29")", false},
        FormatCase{"valueDate", R"("1990-13-45")", false},
        FormatCase{"valueDate", R"("0000")", false},
        FormatCase{"valueDate", R"("24-01-01")", false},
        FormatCase{"valueDate", R"("2024-01-01T00:00:00Z")", false},
        FormatCase{"valueDate", R"(20240101)", false},
        FormatCase{"valueDateTime", R"("2024-01-01T10:20:30Z")", true},
        FormatCase{"valueDateTime", R"("2024-01-01T10:20:30.123-05:00")", true},
        FormatCase{"valueDateTime", R"("2024-01")", true},
        FormatCase{"valueDateTime", R"("2024-01-01T10:20:30")", false},
        FormatCase{"valueDateTime", R"("2024-01-01T10:20Z")", false},
        FormatCase{"valueDateTime", R"("2024-01T10:20:30Z")", false},
        FormatCase{"valueDateTime", R"("2024-01-01T24:00:00Z")", false},
        FormatCase{"valueDateTime", R"("2024-01-01T10:20:30+15:00")", false},
        FormatCase{"valueInstant", R"("2024-01-01T10:20:30.5+14:00")", true},
        FormatCase{"valueInstant", R"("2024-01-01")", false},
        FormatCase{"valueTime", R"("23:59:60")", true},
        FormatCase{"valueTime", R"("10:20:30.25")", true},
        FormatCase{"valueTime", R"("10:20")", false},
        FormatCase{"valueTime", R"("10:20:30Z")", false}, FormatCase{"valueId", R"("a-B.9")", true},
        FormatCase{"valueId", R"("a_b")", false}, FormatCase{"valueCode", R"("a b")", true},
        FormatCase{"valueCode", R"(" a")", false}, FormatCase{"valueCode", R"("a  b")", false},
        FormatCase{"valueCode", R"("")", false},
        FormatCase{"valueUri", R"("http://x.org/a?b")", true},
        FormatCase{"valueUri", R"("a b")", false}, FormatCase{"valueUrl", R"("")", false},
        FormatCase{"valueCanonical", R"("http://x.org/vs|1.0")", true},
        FormatCase{"valueOid", R"("urn:oid:2.16.840.1")", true},
        FormatCase{"valueOid", R"("urn:oid:2.016")", false},
        FormatCase{"valueOid", R"("2.16.840")", false},
        FormatCase{"valueUuid", R"("urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0")", true},
        FormatCase{"valueUuid", R"("urn:uuid:0C3151BD-1CBF-4D64-B04D-CD9187A4C6E0")", false},
        FormatCase{"valueBoolean", "true", true}, FormatCase{"valueBoolean", R"("true")", false},
        FormatCase{"valueInteger", "-5", true}, FormatCase{"valueInteger", "1.5", false},
        FormatCase{"valueInteger", "2147483648", false},
        FormatCase{"valueInteger", R"("5")", false}, FormatCase{"valuePositiveInt", "1", true},
        FormatCase{"valuePositiveInt", "0", false}, FormatCase{"valueUnsignedInt", "0", true},
        FormatCase{"valueUnsignedInt", "-1", false}, FormatCase{"valueDecimal", "1.50", true},
        FormatCase{"valueDecimal", "3", true}, FormatCase{"valueDecimal", R"("1.5")", false},
        FormatCase{"valueBase64Binary", R"("SGVsbG8=")", true},
        FormatCase{"valueBase64Binary", R"("SGVs bG8=")", true},
        FormatCase{"valueBase64Binary", R"("SGVsbG8")", false},
        FormatCase{"valueBase64Binary", R"("SG=sbG8=")", false},
        FormatCase{"valueString", R"("x")", true}, FormatCase{"valueString", R"("")", false},
        FormatCase{"valueString", "{}", false}, FormatCase{"valueMarkdown", R"("# x")", true}));

}  // namespace
}  // namespace custos::clinical
