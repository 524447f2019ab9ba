// Definitions: the parts of the FHIR R4 specification Custos works from — resource and datatype
// structures (for validation), search parameters (for indexing and search), required-binding
// value sets and the Patient compartment. The data is extracted from the specification's own
// JSON (data/fhir/, see its README) and compiled into the binary; nothing is written by hand
// per resource type. Immutable and thread-safe after construction.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custos/core/json.h"
#include "custos/core/status.h"

namespace custos::clinical {

enum class SearchParamType {
  kNumber,
  kDate,
  kString,
  kToken,
  kReference,
  kComposite,
  kQuantity,
  kUri,
  kSpecial
};

std::string_view SearchParamTypeName(SearchParamType type);

struct SearchParameterDef {
  std::string code;  // "family", "birthdate", "subject"
  SearchParamType type = SearchParamType::kToken;
  std::string expression;  // the FHIRPath expression of the specification, for this resource type
  std::vector<std::string> targets;  // reference parameters: the resource types they point to
};

// One element of a structure, e.g. Patient.name or HumanName.given.
struct ElementDef {
  std::string path;  // "Patient.name"
  int min = 0;
  int max = 1;                     // -1 for "*"
  std::vector<std::string> types;  // type codes: "HumanName", "string", "Reference", ...;
                                   // several for choice elements (value[x])
  std::vector<std::string> reference_targets;  // for Reference: allowed target resource types
  std::string content_reference;               // "#Questionnaire.item" for recursive elements
  std::string required_value_set;  // canonical URL when the binding strength is required
};

struct TypeDef {
  std::string name;  // "Patient", "HumanName"
  bool is_resource = false;
  bool is_primitive = false;
  std::vector<ElementDef> elements;  // in specification order, excluding the root
};

class Definitions {
 public:
  // The definitions compiled into the binary. CUSTOS_CHECKs that they parse.
  static const Definitions& R4();
  // Builds definitions from the three data files' contents (tests may pass smaller ones).
  static Result<Definitions> Parse(std::string_view structures_json,
                                   std::string_view search_parameters_json,
                                   std::string_view value_sets_json);

  bool IsResourceType(std::string_view name) const;
  const TypeDef* Type(std::string_view name) const;  // resource or datatype; null if unknown
  // Search parameters of a resource type, including those inherited from Resource and
  // DomainResource (_id, _lastUpdated, _profile, _security, _tag, …). Empty for unknown types.
  const std::vector<SearchParameterDef>& SearchParameters(std::string_view resource_type) const;
  const SearchParameterDef* SearchParameter(std::string_view resource_type,
                                            std::string_view code) const;
  // Codes of a required value set (all systems together); null when unknown.
  const std::vector<std::string>* ValueSetCodes(std::string_view url) const;
  // The resource types Custos stores and indexes (issue 3's list).
  const std::vector<std::string>& StoredResourceTypes() const;

 private:
  std::map<std::string, TypeDef, std::less<>> types_;
  std::map<std::string, std::vector<SearchParameterDef>, std::less<>> search_parameters_;
  std::map<std::string, std::vector<std::string>, std::less<>> value_sets_;
  std::vector<std::string> stored_types_;
};

}  // namespace custos::clinical
