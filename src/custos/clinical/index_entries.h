// Index entries: the values a resource is found by, extracted from it with the FHIRPath
// expressions of the specification's search parameters (see fhirpath.h), one entry per value.
// ResourceStore writes them into typed index tables in the transaction that stores the
// resource. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "custos/clinical/definitions.h"
#include "custos/core/json_document.h"
#include "custos/core/status.h"

namespace custos::clinical {

struct TokenEntry {
  std::string param;
  std::string system;  // empty when the value has none
  std::string code;    // also: identifier value, boolean "true"/"false", code, id
};
struct StringEntry {
  std::string param;
  std::string normalized;  // lower case, accents and punctuation folded, for default and :contains
  std::string exact;       // as written, for :exact
};
struct DateEntry {
  std::string param;
  // The period the value covers, as microseconds since 1970 UTC: "2026-11" covers
  // [2026-11-01T00:00:00, 2026-12-01T00:00:00); `high` is exclusive. Open ends use the
  // smallest/largest int64.
  std::int64_t low = 0;
  std::int64_t high = 0;
};
struct ReferenceEntry {
  std::string param;
  std::string target_type;  // "Patient" (empty for absolute URLs that are not FHIR-shaped)
  std::string target_id;    // "123"
  std::string url;          // the reference as written
};
struct QuantityEntry {
  std::string param;
  double value = 0;
  std::string system;
  std::string code;
  std::string unit;
};
struct NumberEntry {
  std::string param;
  double value = 0;
};
struct UriEntry {
  std::string param;
  std::string uri;
};

struct IndexEntries {
  std::vector<TokenEntry> tokens;
  std::vector<StringEntry> strings;
  std::vector<DateEntry> dates;
  std::vector<ReferenceEntry> references;
  std::vector<QuantityEntry> quantities;
  std::vector<NumberEntry> numbers;
  std::vector<UriEntry> uris;
};

// Extracts the entries of every parameter in `parameters` from `resource`. Composite and special
// parameters are skipped. kInvalidArgument when an expression cannot be evaluated (a bug in the
// definitions, not in the resource).
Result<IndexEntries> ExtractIndexEntries(const JsonValue& resource,
                                         const std::vector<SearchParameterDef>& parameters);

// Folds a string for searching: lower case, accents removed (é → e), runs of white space and
// punctuation to one space, trimmed. "  Ñúñez-O'Brien " → "nunez o brien".
std::string NormalizeForSearch(std::string_view text);

}  // namespace custos::clinical
