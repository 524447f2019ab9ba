// Search: FHIR R4 search (http://hl7.org/fhir/R4/search.html) over the index tables the
// ResourceStore writes. Parameters of every type (token, string, date, reference, quantity,
// number, uri) with their prefixes and modifiers (:exact, :contains, :missing, :not, :Type),
// comma-separated values (OR) and repeated parameters (AND), chained parameters one level deep
// (`subject:Patient.family=…`, `patient.name=…`), `_id`, `_lastUpdated`, `_sort`, `_count` /
// `_offset` paging, `_include` / `_revinclude`, `_summary=count`, `_elements`. Every result is
// audited with the patients it touches. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "custos/audit/audit_sink.h"
#include "custos/clinical/definitions.h"
#include "custos/clinical/index_layout.h"
#include "custos/clinical/resource_store.h"
#include "custos/core/request_context.h"
#include "custos/storage/database.h"

namespace custos::clinical {

using QueryParameters = std::vector<std::pair<std::string, std::string>>;

struct SearchResult {
  std::int64_t total = 0;
  std::vector<StoredResource> matches;   // this page, in order
  std::vector<StoredResource> included;  // _include / _revinclude
  int offset = 0;
  int count = 0;  // page size used
  bool summary_count = false;
  std::vector<std::string> elements;  // _elements, empty when not asked
  QueryParameters paging_parameters;  // the request's parameters without _offset, for links
};

class Search {
 public:
  static constexpr int kDefaultCount = 50;
  static constexpr int kMaxCount = 1000;

  Search(storage::Database& database, audit::AuditSink& audit, const Definitions& definitions);

  // Runs a search on `resource_type`. kInvalidArgument naming the parameter for an unknown
  // parameter, a bad value or an unsupported modifier (never ignored silently).
  Result<SearchResult> Run(const RequestContext& context, const std::string& resource_type,
                           const QueryParameters& parameters);

  // For conditional operations: the ids of at most two current resources matching plain search
  // parameters, inside the caller's transaction (which audits what it then does).
  Result<std::vector<std::string>> MatchIds(storage::Transaction& tx,
                                            const std::string& resource_type,
                                            const QueryParameters& parameters) const;

 private:
  storage::Database& database_;
  audit::AuditSink& audit_;
  const Definitions& definitions_;
  std::shared_ptr<const IndexLayout> layout_;
};

}  // namespace custos::clinical
