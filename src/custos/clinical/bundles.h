// BundleProcessor: FHIR `batch` and `transaction` Bundles posted to the base URL, and the
// conditional operations (http://hl7.org/fhir/R4/http.html#transaction, #ccreate, #cond-update).
//
// A transaction is all-or-nothing in one database transaction: `urn:uuid:` fullUrls get the ids
// the server assigns and every reference to them is rewritten; entries run in the order the
// specification gives (DELETE, POST, PUT, GET). A batch runs each entry on its own and reports
// each outcome. Conditional creates take a lock on their condition, so that concurrent identical
// requests create exactly one resource. Thread-safe.
#pragma once

#include <map>
#include <string>

#include "custos/clinical/resource_store.h"
#include "custos/clinical/search.h"
#include "custos/storage/database.h"

namespace custos::clinical {

struct ConditionalCreateResult {
  StoredResource resource;
  bool created = false;  // false: an existing resource matched the condition
};

class BundleProcessor {
 public:
  BundleProcessor(storage::Database& database, ResourceStore& store, Search& search);

  // Processes a batch or transaction Bundle; returns the batch-response / transaction-response
  // Bundle. A failed transaction returns the failing entry's status (nothing is stored).
  Result<Json> Process(const RequestContext& context, Json bundle, WriteOutcome* outcome = nullptr);

  // Creates `resource` unless a resource matches `condition` (a query string such as
  // "identifier=http://x|123"). kFailedPrecondition (412) when several match.
  Result<ConditionalCreateResult> CreateIfNoneExist(const RequestContext& context, Json resource,
                                                    const std::string& condition,
                                                    WriteOutcome* outcome = nullptr);
  // Updates the one resource matching `condition`, or creates it when none does.
  Result<StoredResource> UpdateWhere(const RequestContext& context, const std::string& type,
                                     const std::string& condition, Json resource,
                                     WriteOutcome* outcome = nullptr);

 private:
  Result<ConditionalCreateResult> CreateIfNoneExistIn(storage::Transaction& tx,
                                                      const RequestContext& context, Json resource,
                                                      const std::string& condition,
                                                      WriteOutcome* outcome, std::string id);
  // A GET entry: a read ("Type/id") or a search ("Type?params"), with its own audit events.
  Result<Json> ReadEntry(const RequestContext& context, const std::string& url);
  Result<Json> ProcessEntry(storage::Transaction& tx, const RequestContext& context, Json& entry,
                            WriteOutcome* outcome, std::string assigned_id);

  storage::Database& database_;
  ResourceStore& store_;
  Search& search_;
};

// Rewrites every `reference` below `node` found in `ids` (e.g. "urn:uuid:…" → "Patient/123").
void RewriteReferences(Json& node, const std::map<std::string, std::string>& ids);

// "a=1&b=x%7Cy" → {("a","1"), ("b","x|y")}. kInvalidArgument on bad percent-encoding.
Result<QueryParameters> ParseQueryString(std::string_view query);

}  // namespace custos::clinical
