// Validator: structural validation of a FHIR R4 resource against the specification's
// StructureDefinitions (HIM_RULES / issue 3 §4): known element names, cardinality, primitive
// formats (date, dateTime, instant, id, uri, code, boolean, integer, decimal, …), choice elements
// (value[x] appears once, with a permitted type suffix), required-strength bindings (e.g.
// Patient.gender), reference syntax ("Type/id", "urn:uuid:…", absolute URLs, "#contained"),
// and contained resources and nested Bundle entries validated in turn. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "custos/clinical/definitions.h"
#include "custos/core/json_document.h"

namespace custos::clinical {

struct ValidationIssue {
  std::string severity = "error";  // "error" or "warning"
  std::string code =
      "structure";         // FHIR IssueType: structure, required, value, code-invalid, invalid
  std::string expression;  // FHIRPath of the element at fault, e.g. "Patient.birthDate",
                           // "Patient.name[0].given[1]"
  std::string message;     // for people
};

class ValidatorIndex;  // per-type lookup tables, see validator.cc

class Validator {
 public:
  // Cheap for Definitions::R4() (its tables are built once per process); otherwise builds the
  // lookup tables for `definitions`, which must outlive the Validator.
  explicit Validator(const Definitions& definitions);

  // Issues found in `resource` (a JSON object with resourceType). Empty when valid.
  std::vector<ValidationIssue> Validate(const JsonValue& resource) const;

 private:
  const Definitions& definitions_;
  std::shared_ptr<const ValidatorIndex> index_;
};

}  // namespace custos::clinical
