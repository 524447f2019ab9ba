// PatientIndex: the master patient index kept in memory for intake. The registry's patients are
// added once at start and kept current on every registration, edit and merge; a registrar's
// search scores the typed demographics against the likely patients and explains each score.
//
// The index does not fit a model per query: it scores with a MatchModel fitted beforehand
// (`custos mpi train` over the registry, or the shipped default), and keeps the name-frequency
// tables the term-frequency adjustment needs current as records come and go.
//
// Thread-safe: any number of Search/Explain calls run concurrently with each other; Upsert and
// Remove take the index exclusively for a short time.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "custos/core/status.h"
#include "custos/patients/match_model.h"
#include "custos/patients/matcher.h"
#include "custos/patients/person_record.h"

namespace custos::patients {

// One existing patient who may be the person searched for.
struct IndexCandidate {
  std::string id;
  double score = 0;     // sum of field weights, in bits
  double log_odds = 0;  // score plus the prior log-odds: ≥ link threshold links
  Decision decision = Decision::kNonMatch;
  PairExplanation explanation;  // every compared field, its level and weight
};

struct PatientIndexOptions {
  // Thresholds and rules (link_log_odds, review_log_odds, twins, nicknames) as in batch matching.
  MatchOptions match;
};

class PatientIndex {
 public:
  // `model` must have been fitted (TrainModel, ModelFromJson or DefaultModel).
  explicit PatientIndex(MatchModel model, PatientIndexOptions options = {});
  ~PatientIndex();
  PatientIndex(const PatientIndex&) = delete;
  PatientIndex& operator=(const PatientIndex&) = delete;

  // Adds the record, or replaces the one with the same id.
  void Upsert(const PersonRecord& record);
  // Removes the record with this id; nothing when there is none.
  void Remove(std::string_view id);
  size_t size() const;

  // The patients scoring `review` or `link` against `query`, best first, at most `limit`.
  // `query.id` is ignored; a query with almost nothing filled in returns nothing.
  std::vector<IndexCandidate> Search(const PersonRecord& query, size_t limit = 10) const;

  // Scores two indexed records against each other. kNotFound when either id is unknown.
  Result<IndexCandidate> Explain(std::string_view id_a, std::string_view id_b) const;

  // Scores an indexed record against a record that need not be indexed (same id rules as Search).
  Result<IndexCandidate> Compare(std::string_view indexed_id, const PersonRecord& other) const;

  // Every record, in no particular order (for batch deduplication of the registry).
  std::vector<PersonRecord> Records() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Fits a model to `records` without labels (blocking, u from the records, m by EM), as Dedupe
// does. kInvalidArgument when there are too few records to fit (fewer than 1,000).
Result<MatchModel> TrainModel(const std::vector<PersonRecord>& records,
                              const MatchOptions& options = {});

// The model shipped with Custos (data/mpi/default_model.json, fitted without labels on
// synthetic registry data), for registries too small to train on.
const MatchModel& DefaultModel();

// A fitted model as JSON and back (for `custos mpi train --out` and the database).
std::string ModelToJson(const MatchModel& model);
Result<MatchModel> ModelFromJson(std::string_view json);

}  // namespace custos::patients
