// AuditTrail: the append-only, hash-chained audit store (HIM_RULES.md SEC-01..SEC-03).
//
// Events get sequence numbers 1, 2, 3, … and each stores the hash of the one before. Signed
// checkpoints (Ed25519 over sequence + hash) are written to the audit_checkpoints table every
// `checkpoint_every_events` events, and WriteCheckpoint() also appends them to an anchor file
// outside the database (SEC-02 "anchors written to a separate store"): a truncated tail, even
// one cut together with its checkpoint rows, then no longer matches the anchor.
// No method modifies or deletes an event; the tables refuse UPDATE and DELETE by trigger.
// Thread-safe; share one instance.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "custos/audit/audit_sink.h"
#include "custos/audit/checkpoint_signer.h"
#include "custos/core/clock.h"
#include "custos/storage/database.h"

namespace custos::audit {

struct AuditTrailOptions {
  int checkpoint_every_events = 1000;
  std::string anchor_file;  // empty: no anchor file
};

// Filters for reading the trail; every field is optional. Results are newest first.
struct AuditFilter {
  std::optional<std::string> actor_name;
  std::optional<std::string> patient_id;
  std::optional<std::string> action;
  std::optional<std::string> object_type;
  std::optional<std::string> object_id;
  std::optional<std::string> outcome;
  std::optional<Timestamp> from;                // inclusive
  std::optional<Timestamp> to;                  // exclusive
  std::optional<std::int64_t> before_sequence;  // paging cursor
  int limit = 50;
};

struct AuditPage {
  std::vector<AuditEvent> events;
  std::optional<std::int64_t> next_before_sequence;  // set when more may follow
};

struct VerifyReport {
  bool ok = true;
  std::int64_t events_checked = 0;
  std::int64_t checkpoints_checked = 0;
  std::int64_t last_sequence = 0;
  std::optional<std::int64_t> first_bad_sequence;
  std::string problem;  // what is wrong at first_bad_sequence
};

struct VerifyOptions {
  // Public keys whose checkpoint signatures are accepted (hex). A checkpoint signed by any other
  // key fails verification; with an empty list, every checkpoint does.
  std::vector<std::string> trusted_public_keys;
  std::string anchor_file;  // empty: none
  int threads = 2;          // slices of the chain verified in parallel
};

class AuditTrail final : public AuditSink {
 public:
  // `signer` may be null (no checkpoints are written then).
  AuditTrail(const Clock& clock, std::shared_ptr<const CheckpointSigner> signer,
             AuditTrailOptions options = {});

  // AuditSink. Assigns sequence, time and hashes; writes a checkpoint when one is due.
  Status Record(storage::Transaction& tx, AuditEvent event) override;
  // Many events with one statement per 32 (a batch of reads' events).
  Status RecordAll(storage::Transaction& tx, std::vector<AuditEvent>& events) override;

  // Signs the current head (if it has moved since the last checkpoint) in its own transaction
  // and, after commit, appends it to the anchor file. Returns the checkpointed sequence (0 for an
  // empty trail).
  Result<std::int64_t> WriteCheckpoint(storage::Database& database);

  Result<AuditPage> Search(storage::Transaction& tx, const AuditFilter& filter) const;
  // Every event matching `filter` (limit and cursor ignored), newest first, streamed.
  Status ForEach(storage::Transaction& tx, const AuditFilter& filter,
                 const std::function<void(const AuditEvent&)>& visit) const;
  // Number of events matching `filter` (limit and cursor ignored).
  Result<std::int64_t> Count(storage::Transaction& tx, const AuditFilter& filter) const;
  // The sequence number of the newest event (0 when empty).
  static Result<std::int64_t> Length(storage::Transaction& tx);

  // Checks the whole chain, the checkpoints and the anchor file, and names the first bad
  // sequence number. Reads in one snapshot; never writes.
  static Result<VerifyReport> Verify(storage::Database& database, const VerifyOptions& options);

  const CheckpointSigner* signer() const { return signer_.get(); }

 private:
  struct ChainHead {
    std::uint64_t transaction_serial = 0;
    std::int64_t sequence = 0;
    std::string hash;
  };
  Status InsertCheckpoint(storage::Transaction& tx, std::int64_t sequence, const std::string& hash,
                          const std::string& time, std::string* anchor_line);

  const Clock& clock_;
  std::shared_ptr<const CheckpointSigner> signer_;
  AuditTrailOptions options_;
  // The chain head as last extended by each recent transaction (by serial), so that a
  // transaction reads it from the database once. Only an optimisation: a transaction whose entry
  // was evicted simply reads the head again (it sees its own appends).
  std::mutex heads_mutex_;
  std::vector<ChainHead> heads_;  // GUARDED_BY(heads_mutex_)
};

}  // namespace custos::audit
