// ResourceStore: the clinical record — versioned FHIR R4 resources with their search index.
//
// Every write validates the resource (Validator), stores it as accepted plus meta.versionId and
// meta.lastUpdated, keeps every earlier version, rewrites its index entries, and appends its
// audit event — all in one transaction. Reads are audited too (who read which patient's what).
// Optimistic locking: a write may name the version it expects (If-Match) and fails with
// kConflict reason "version_conflict" when another write came first. Deletes are soft and
// versioned; reading a deleted resource answers kNotFound reason "deleted".
// Every row carries the id of the Patient whose record it belongs to (its compartment).
// Thread-safe; share one instance.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "custos/audit/audit_sink.h"
#include "custos/audit/read_audit.h"
#include "custos/clinical/definitions.h"
#include "custos/clinical/index_entries.h"
#include "custos/clinical/index_layout.h"
#include "custos/clinical/validator.h"
#include "custos/core/clock.h"
#include "custos/core/json.h"
#include "custos/core/json_document.h"
#include "custos/core/request_context.h"
#include "custos/storage/database.h"

namespace custos::clinical {

class PatientRecord;  // patient_record.h
struct PatientRecordOptions;

struct StoredResource {
  std::string resource_type;
  std::string id;
  std::int64_t version = 0;
  std::string last_updated;  // core/clock.h text form
  bool deleted = false;
  std::optional<std::string> patient_id;
  std::string json;  // the resource as stored; empty for a deleted version
};

// The columns a query selects to read StoredResources (from `resources r` joined with
// `resource_versions v`), and the StoredResource of such a row; further columns may follow, from
// kResourceColumnCount on. kInternal when the stored JSON is damaged (resource_codec.h).
inline constexpr std::string_view kResourceColumns =
    "r.resource_type, r.id, v.version, v.last_updated, v.patient_id, v.content, v.content_z";
inline constexpr int kResourceColumnCount = 7;
Result<StoredResource> StoredResourceFromRow(const storage::Row& row);

// A resource made ready for storing — validated, given its id and meta, indexed and serialised —
// without touching the database, so that bulk loads can prepare on one thread while another
// writes.
struct PreparedResource {
  std::string resource_type;
  std::string id;
  IndexEntries entries;
  std::optional<std::string> patient_id;
  std::string last_updated;
  std::int64_t version = 1;  // the version `json` was written for
  std::string json;
  std::string compressed;  // `json` as stored (resource_codec.h)
  // Where the values of meta.versionId and meta.lastUpdated are in `json` (between their quotes).
  std::size_t version_at = 0, version_length = 0;
  std::size_t updated_at = 0, updated_length = 0;

  // Makes it another version: the two meta values change in place.
  void SetVersion(std::int64_t new_version, std::string new_last_updated);
};

// References to rewrite while preparing: "urn:uuid:…" (as written) → "Patient/123".
using ReferenceMap = std::map<std::string, std::string, std::less<>>;

// Why a write failed validation: every issue, for OperationOutcome.
struct WriteOutcome {
  std::vector<ValidationIssue> issues;
};

class ResourceStore {
 public:
  ResourceStore(storage::Database& database, audit::AuditSink& audit, const Clock& clock,
                const Definitions& definitions);

  // Stores a new resource with a new id (an id in the body is replaced). kInvalidArgument when it
  // fails validation (the issues are appended to `outcome` when given), kPermissionDenied
  // without clinical.write.
  Result<StoredResource> Create(const RequestContext& context, Json resource,
                                WriteOutcome* outcome = nullptr);
  // Stores a new version of type/id (creating it when it does not exist). `if_match` is the
  // version the caller last saw.
  Result<StoredResource> Update(const RequestContext& context, const std::string& type,
                                const std::string& id, Json resource,
                                std::optional<std::int64_t> if_match,
                                WriteOutcome* outcome = nullptr);
  // Marks type/id deleted (a new version without content).
  Result<StoredResource> Delete(const RequestContext& context, const std::string& type,
                                const std::string& id, std::optional<std::int64_t> if_match);

  // The current version. kNotFound (reason "deleted" for a deleted resource).
  Result<StoredResource> Read(const RequestContext& context, const std::string& type,
                              const std::string& id);
  // Read, run in a batch of the read-audit batcher (ReadsInBatches): the read and its audit
  // event go into one transaction with other requests' reads, and `done` is called on the
  // batcher's thread once it has committed — with what Read would answer, or kUnavailable when
  // the batch could not be committed (then nothing of it is on the trail, and no data is given
  // out). Otherwise it reads at once (blocking) and calls `done` before returning.
  void ReadAsync(const RequestContext& context, std::string type, std::string id,
                 std::function<void(Result<StoredResource>)> done);
  // Runs `read` in a transaction that sees the current record, and records the audit events it
  // adds to `events` before returning: inside a batch of the read-audit batcher when there is
  // one and ReadsInBatches (warm page cache, shared commit; `read` then runs on the batcher's
  // thread while this one waits), else in a read transaction of its own with the events going the
  // way of audit::RecordRead. `read`'s own error is returned and nothing it read may be given out;
  // kUnavailable when the events could not be committed. For callers that read several
  // resources of their own choosing (Patient/$match) and block anyway.
  using AuditedRead =
      std::function<Status(storage::Transaction&, std::vector<audit::AuditEvent>& events)>;
  Status RunAuditedRead(const RequestContext& context, const AuditedRead& read);
  // Enables ReadAsync's batches (and sets the batcher's batch step). The batcher must outlive
  // every ReadAsync; the store must outlive the batcher.
  void SetReadBatcher(audit::AuditBatcher* batcher);
  // Whether ReadAsync runs in the batcher's batches. The reads of a batch are one statement
  // together: on SQLite the batch's connection has the one warm page cache, and on PostgreSQL a
  // statement is a round trip to another process, which one per read made the cost of a read.
  bool ReadsInBatches() const { return read_batcher_ != nullptr; }
  // One version. kNotFound when it does not exist.
  Result<StoredResource> ReadVersion(const RequestContext& context, const std::string& type,
                                     const std::string& id, std::int64_t version);
  // Every version of type/id, newest first.
  Result<std::vector<StoredResource>> History(const RequestContext& context,
                                              const std::string& type, const std::string& id);

  // The whole record of Patient/`patient_id`, to read page by page (patient_record.h).
  Result<PatientRecord> OpenPatientRecord(const RequestContext& context,
                                          const std::string& patient_id,
                                          const PatientRecordOptions& options);

  // Versions of every resource of a type, newest first, `count` from `offset`.
  Result<std::vector<StoredResource>> TypeHistory(const RequestContext& context,
                                                  const std::string& type, int count, int offset);

  // The same operations inside a caller's transaction (bundles, import). They check permissions
  // and write audit events like the others but neither begin nor commit.
  Result<StoredResource> CreateIn(storage::Transaction& tx, const RequestContext& context,
                                  Json resource, WriteOutcome* outcome, std::string id = {});
  Result<StoredResource> UpdateIn(storage::Transaction& tx, const RequestContext& context,
                                  const std::string& type, const std::string& id, Json resource,
                                  std::optional<std::int64_t> if_match, WriteOutcome* outcome);
  Result<StoredResource> DeleteIn(storage::Transaction& tx, const RequestContext& context,
                                  const std::string& type, const std::string& id,
                                  std::optional<std::int64_t> if_match);

  // Prepares `resource` (of `expected_type` when not empty) for storing under `id` (a new id
  // when empty) as version 1: its text keeps the members in the order written, with `id` and
  // meta's versionId and lastUpdated set and every `reference` found in `references` rewritten;
  // that text is validated and indexed. kInvalidArgument naming the element at fault (the issues
  // go to `outcome` when given). Thread-safe; no database access.
  Result<PreparedResource> Prepare(const JsonValue& resource, std::string id,
                                   const std::string& expected_type, WriteOutcome* outcome,
                                   const ReferenceMap* references = nullptr) const;
  // The same for a resource held as nlohmann JSON (the REST API, bundles, registration).
  Result<PreparedResource> Prepare(const Json& resource, std::string id,
                                   const std::string& expected_type, WriteOutcome* outcome) const;
  // Stores a prepared resource as a new version of its type/id (creating it when new), in `tx`.
  // With `audit` false the caller records one event for the whole batch (bulk import).
  Result<StoredResource> WritePrepared(storage::Transaction& tx, const RequestContext& context,
                                       PreparedResource& prepared, bool audit);
  // Stores prepared resources in `tx` as WritePrepared does without audit (the caller records
  // one event for the batch), but with many rows per statement: the bulk import's path. Those
  // that exist already become new versions one at a time.
  Status WritePreparedBatch(storage::Transaction& tx, const RequestContext& context,
                            std::vector<PreparedResource>& batch);

  // Refills the search index from the current versions when the database asks for it (a
  // migration that changed the index tables leaves a row in `search_index_rebuild`): in row
  // order, 500 resources per transaction, so an interrupted rebuild resumes where it stopped.
  // Records one audit event when done. Returns how many resources were indexed (0 when nothing
  // was asked). Call before serving: searches miss what is not rebuilt yet.
  Result<std::int64_t> RebuildSearchIndexIfAsked(const RequestContext& context);

  const Definitions& definitions() const { return definitions_; }
  const Validator& validator() const { return validator_; }
  const IndexLayout& index_layout() const { return *layout_; }

 private:
  struct Current;
  Result<std::optional<Current>> LoadCurrent(storage::Transaction& tx, const std::string& type,
                                             const std::string& id, bool for_update);
  // kInvalidArgument unless `resource` is an object of a stored type (`expected_type` when not
  // empty).
  Status CheckType(const JsonValue& resource, const std::string& expected_type) const;
  // kInvalidArgument (reason invalid_resource) naming the first error the validator finds.
  Status CheckValid(const JsonValue& resource, WriteOutcome* outcome) const;
  // Writes a new version (`prepared` null: a deletion) over `current` (none: a new resource).
  Result<StoredResource> WriteVersion(storage::Transaction& tx, const RequestContext& context,
                                      const std::string& type, const std::string& id,
                                      const std::optional<Current>& current,
                                      PreparedResource* prepared, bool audit);
  Status WriteIndex(storage::Transaction& tx, std::int64_t rid, const std::string& type,
                    const IndexEntries& entries);
  Status AuditRead(const RequestContext& context, const StoredResource& resource,
                   std::string_view action);
  // ReadAsync's reads, noted by their works in a batch and read by the batch step.
  struct BatchedRead;
  struct NotedReads;
  // Reads what was noted in `tx`'s batch, one statement for up to 64 different resources; their
  // audit events go to `events`. An error only when a statement failed.
  Status ReadNoted(NotedReads& noted, storage::Transaction& tx,
                   std::vector<audit::AuditEvent>& events);
  // Whether RunAuditedRead runs in the batcher's batches: only on SQLite, where a statement is
  // no round trip (its reads are the caller's own statements, one after the other).
  bool AuditedReadsInBatches() const {
    return read_batcher_ != nullptr && database_.backend() == storage::Backend::kSqlite;
  }

  storage::Database& database_;
  audit::AuditSink& audit_;
  const Clock& clock_;
  const Definitions& definitions_;
  Validator validator_;
  std::shared_ptr<const IndexLayout> layout_;
  audit::AuditBatcher* read_batcher_ = nullptr;
  std::shared_ptr<NotedReads> noted_reads_;  // with read_batcher_; used on its thread only
};

// The Patient whose compartment holds a resource with these index entries: the resource itself
// for a Patient, else the Patient its `patient`, `subject` or `beneficiary` reference points to.
std::optional<std::string> CompartmentPatient(const std::string& resource_type,
                                              const std::string& id, const IndexEntries& entries);

}  // namespace custos::clinical
