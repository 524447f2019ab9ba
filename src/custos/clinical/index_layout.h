// IndexLayout: which search parameters have rows of their own in the index tables, and where the
// values of the others are found.
//
// The specification defines many parameters that select values another parameter of the same
// resource type already selects: Observation's `combo-code` is `code | component-code`, its
// `patient` is `subject.where(resolve() is Patient)`, Patient's `phonetic` has the same
// expression as `name`. Writing those values twice made a quarter of the index rows on Synthea
// data. Here each such parameter reads the rows of the parameters it is made of instead:
//  - a parameter whose expression equals another's reads that one's rows;
//  - a union of other parameters' expressions reads the rows of all of them;
//  - `X.where(resolve() is T)`, where another reference parameter is `X`, reads that one's rows
//    whose target is of type T.
// `_id` and `_lastUpdated` are columns of the resources table; composite and special parameters
// are not indexed. The layout is derived from the specification's expressions only, so it stays
// right when the definitions change.
//
// Index rows name their parameter by a number: ParamId(resource type, code), stable across
// versions and processes (a hash; Definitions refuses definitions where two collide).
// Immutable and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "custos/clinical/definitions.h"

namespace custos::clinical {

// The number index rows carry for parameter `code` of `resource_type`: 31 bits of FNV-1a over
// "Type.code", so the same everywhere without a lookup table.
std::int32_t ParamId(std::string_view resource_type, std::string_view code);

// Where the values of one searchable parameter are: rows whose param is one of `param_ids`,
// and, when `target_type` is not empty, whose target is of that type (references only).
struct ParamSource {
  std::vector<std::int32_t> param_ids;
  std::string target_type;
};

class IndexLayout {
 public:
  // The layout of Definitions::R4(), built once.
  static const IndexLayout& R4();
  // R4() for Definitions::R4(), else a layout of `definitions` (tests pass smaller ones).
  static std::shared_ptr<const IndexLayout> For(const Definitions& definitions);
  explicit IndexLayout(const Definitions& definitions);

  // The parameters of `resource_type` whose values are extracted and written as index rows.
  // Empty for types that are not stored.
  const std::vector<SearchParameterDef>& StoredParameters(std::string_view resource_type) const;
  // Where the values of parameter `code` of `resource_type` are found; null when it has no index
  // rows (unknown, `_id`, `_lastUpdated`, composite, special).
  const ParamSource* Source(std::string_view resource_type, std::string_view code) const;

 private:
  std::map<std::string, std::vector<SearchParameterDef>, std::less<>> stored_;
  std::map<std::string, std::map<std::string, ParamSource, std::less<>>, std::less<>> sources_;
};

}  // namespace custos::clinical
