// DuplicateQueue: the HIM analyst's work list of patient pairs that may be one person — proposed
// at registration (created despite a warning) or by batch deduplication of the registry — and the
// decisions people make about them: not a duplicate (remembered; the pair is never proposed
// again), defer, overlay (two people in one record: the privacy officer's case). Merging is in
// merge.h. Also the AHIMA duplicate-rate report. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "custos/audit/audit_sink.h"
#include "custos/core/clock.h"
#include "custos/core/json.h"
#include "custos/core/request_context.h"
#include "custos/patients/registry.h"
#include "custos/storage/database.h"

namespace custos::patients {

struct QueueQuery {
  std::string status = "open";  // open | deferred | overlay | not_duplicate | merged
  std::string sort = "score";   // score (highest first) | age (oldest first) | facility
  int limit = 50;
  std::string cursor;  // next_cursor of the previous page
};

struct QueuePage {
  std::vector<Json> items;  // QueueItem (docs/API.md)
  std::optional<std::string> next_cursor;
};

// A pair found by batch deduplication of the registry.
struct ProposedPair {
  std::string patient_a;
  std::string patient_b;
  double score = 0;
  double log_odds = 0;
  Decision decision = Decision::kReview;
};

class DuplicateQueue {
 public:
  DuplicateQueue(storage::Database& database, audit::AuditSink& audit, const Clock& clock,
                 Registry& registry);

  // patients.merge; every patient shown is an audited read.
  Result<QueuePage> List(const RequestContext& context, const QueueQuery& query);
  // One pair with its explanation recomputed now (`fields`, `capped_by`). kNotFound.
  Result<Json> Get(const RequestContext& context, const std::string& pair_id);
  // `action`: not_duplicate | defer | overlay. kConflict for a merged pair.
  Result<Json> Decide(const RequestContext& context, const std::string& pair_id,
                      const std::string& action, const std::string& note);
  // Pairs flagged as overlays, for the privacy officer (audit.read).
  Result<std::vector<Json>> Overlays(const RequestContext& context);

  // Adds pairs to the queue as `open` (patients.merge); pairs already known keep their status,
  // so a person's decision is never overridden by the engine. Returns how many were new.
  Result<int> Propose(const RequestContext& context, const std::vector<ProposedPair>& pairs);

  // AHIMA figures (patients.merge): registry size, open duplicates, duplicate rate, and per
  // month for the last `months` months registrations, duplicates created, creation rate, merges.
  Result<Json> Report(const RequestContext& context, int months);

 private:
  Result<std::vector<Json>> Items(storage::Transaction& tx, const RequestContext& context,
                                  const std::string& where, const storage::Params& params,
                                  const std::string& tail);

  storage::Database& database_;
  audit::AuditSink& audit_;
  const Clock& clock_;
  Registry& registry_;
};

}  // namespace custos::patients
