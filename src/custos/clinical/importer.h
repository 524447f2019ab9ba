// Importer: loads FHIR data in bulk — transaction and batch Bundles (as Synthea writes them),
// NDJSON files, and either as .json.gz — through the same ResourceStore as every other write, so
// imported resources are validated, indexed and audited like the rest.
//
// Within a bundle, `urn:uuid:` fullUrls become the resources' ids (a UUID is a valid FHIR id) and
// references to them are rewritten to `Type/id`. Organization, Practitioner and Location are
// created only when no resource of that type has the same identifier (conditional create), so
// the copies repeated across bundles end up once. A bundle is written whole or not at all (several
// bundles may share a transaction; a bundle that fails leaves nothing behind and what came before
// it stays). The audit trail gets one `resource.import` event per bundle, naming the patient and
// the number of resources by type. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "custos/clinical/resource_store.h"
#include "custos/storage/database.h"

namespace custos::clinical {

struct ImportStats {
  std::int64_t files = 0;
  std::int64_t bundles = 0;
  std::int64_t resources = 0;   // stored
  std::int64_t duplicates = 0;  // conditional creates that found an existing resource
  std::int64_t bytes = 0;

  void Add(const ImportStats& other) {
    files += other.files;
    bundles += other.bundles;
    resources += other.resources;
    duplicates += other.duplicates;
    bytes += other.bytes;
  }
};

class Importer {
 public:
  Importer(storage::Database& database, ResourceStore& store, audit::AuditSink& audit);

  // Imports files (.json, .ndjson, optionally .gz) in order. One thread reads, parses, validates
  // and indexes the next bundles while the calling thread writes the current one.
  // kInvalidArgument naming the file and the entry for bad content; what came before stays
  // imported. `progress` is called after each file with the stats so far. Ends by refreshing
  // the database's planner statistics.
  Status ImportFiles(
      const RequestContext& context, const std::vector<std::string>& paths, ImportStats& stats,
      const std::function<void(size_t files_done, const ImportStats&)>& progress = {});
  // Imports one Bundle (transaction, batch or collection) in one transaction.
  Status ImportBundle(const RequestContext& context, const Json& bundle, ImportStats& stats);

  // An identifier as written: system (maybe empty) and value.
  struct Identifier {
    std::string system;
    std::string value;
  };

 private:
  struct PreparedBundle;
  // Organisations, practitioners and locations seen so far in one import: identifier
  // ("Type|system|value") → "Type/id".
  using KnownIdentifiers = std::map<std::string, std::string>;
  // CPU work, and reads only: ids, conditional creates decided against `known` and the database,
  // reference rewriting, validation, index extraction.
  Result<PreparedBundle> PrepareBundle(const JsonValue& bundle, KnownIdentifiers& known) const;
  // Database work: rows, one audit event (and conditional creates checked once more, in case
  // another writer created one meanwhile), in `tx`; adds what it wrote to `stats`.
  Status WriteBundleIn(storage::Transaction& tx, const RequestContext& context,
                       PreparedBundle& bundle, ImportStats& stats);
  // The same in a transaction of its own; `stats` changes only when it commits.
  Status WriteBundle(const RequestContext& context, PreparedBundle& bundle, ImportStats& stats);
  // The id of a current resource of `type` with one of `identifiers`, if any.
  static Result<std::optional<std::string>> FindByIdentifier(
      storage::Transaction& tx, const std::string& type,
      const std::vector<Identifier>& identifiers);

  storage::Database& database_;
  ResourceStore& store_;
  audit::AuditSink& audit_;
};

// Reads a file, inflating it when it ends in .gz.
Result<std::string> ReadMaybeGzipped(const std::string& path);

}  // namespace custos::clinical
