// What a registrar enters at intake (Registration), how it is checked, and how it becomes FHIR
// Patient and Coverage resources — and how a stored Patient becomes the PersonRecord the matching
// engine compares. The one place that knows which FHIR element holds which demographic.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "custos/core/clock.h"
#include "custos/core/json.h"
#include "custos/core/status.h"
#include "custos/patients/person_record.h"

namespace custos::patients {

// Identifier systems Custos writes. MRNs are issued per facility: urn:custos:mrn:<facility>.
inline constexpr std::string_view kSsnSystem = "http://hl7.org/fhir/sid/us-ssn";
inline constexpr std::string_view kMrnSystemPrefix = "urn:custos:mrn:";

struct PersonName {
  std::string given;
  std::string middle;
  std::string family;
  std::string suffix;
};

struct PreviousName {
  std::string given;
  std::string family;
  std::string use = "maiden";  // maiden | old
};

struct PostalAddress {
  std::vector<std::string> lines;
  std::string city;
  std::string state;
  std::string postal_code;
};

struct ExternalIdentifier {
  std::string system;
  std::string value;
};

struct CoverageInput {
  std::string payer;
  std::string member_id;
  std::string group;
  std::string subscriber = "self";                 // self | spouse | child | other
  std::string verification_status = "unverified";  // verified | unverified | failed
  std::string verified_on;                         // YYYY-MM-DD; empty when never verified
};

// A registration as entered (docs/API.md, "Registration"). Text is trimmed; the SSN keeps only
// its digits.
struct Registration {
  std::string facility = "MAIN";
  PersonName name;
  std::vector<PreviousName> previous_names;
  std::string preferred_name;
  std::string birth_date;  // YYYY-MM-DD
  std::string sex;         // male | female | other | unknown
  std::string ssn;         // nine digits
  PostalAddress address;
  std::string phone;
  std::string email;
  std::vector<ExternalIdentifier> identifiers;
  std::vector<CoverageInput> coverage;
  bool confirm_new_person = false;
};

enum class RegistrationUse {
  kMatch,     // a search while typing: every field optional, checked only when present
  kRegister,  // creating a patient: name, birth date and sex required
};

// Decodes and checks a request body. kInvalidArgument whose field is the path of the first bad
// input (`ssn`, `birth_date`, `name.family`, `coverage[0].member_id`, …). `today` bounds birth
// and verification dates.
Result<Registration> ParseRegistration(const Json& body, RegistrationUse use, Timestamp today);

// kInvalidArgument (field "ssn") for an SSN the Social Security Administration never issues:
// not nine digits, area 000, 666 or 900–999, group 00, serial 0000, or a number known from
// advertising and examples (123-45-6789, 078-05-1120, 219-09-9999).
Status CheckSsn(std::string_view digits);

// The FHIR Patient for a registration, with its MRN as an identifier of type MR.
Json PatientResource(const Registration& registration, const std::string& mrn);
// A FHIR Coverage for one insurance entry of Patient/`patient_id`.
Json CoverageResource(const CoverageInput& coverage, const std::string& patient_id);

// The engine's view of a registration being typed, and of a stored Patient.
PersonRecord PersonFromRegistration(const Registration& registration);
PersonRecord PersonFromPatient(const std::string& id, const Json& patient);

// What screens show of a patient (docs/API.md, "PatientSummary"), without created_at/facility,
// which the registry adds.
Json PatientSummaryJson(const std::string& id, const Json& patient);

// The id of the Patient that `patient` says replaced it (`link` of type replaced-by), or empty.
std::string ReplacedBy(const Json& patient);

}  // namespace custos::patients
