// The batch matching engine of the master patient index: finds the pairs of person records that
// are the same person, within one list (Dedupe: registry clean-up) or across two (Link: matching
// an incoming list against the index).
//
// Pipeline: normalise every record once (comparison.h), block (blocking.h), compare each candidate
// pair into agreement levels, estimate the Fellegi-Sunter model from the data itself
// (match_model.h), then score and decide. Every decision can be explained field by field.
//
// Decisions use the posterior log-odds of a match: score + log2(prior odds), the prior being the
// EM-estimated number of matches over the number of possible pairs. `link` at or above
// MatchOptions::link_log_odds (0: more likely the same person than not), `review` at or above
// review_log_odds. The thresholds are fixed in advance, not fitted to labelled data. Three rules
// can only lower a decision to `review`, never raise it: a placeholder name ("baby boy",
// "john doe"), conflicting generational suffixes (jr / sr), and possible twins: clearly different
// given names without an agreeing SSN, with the same surname, birth date and address.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "custos/core/status.h"
#include "custos/patients/blocking.h"
#include "custos/patients/match_model.h"

namespace custos::patients {

enum class Decision : std::uint8_t { kNonMatch, kReview, kLink };
std::string_view DecisionName(Decision decision);  // "non_match", "review", "link"

struct MatchOptions {
  double link_log_odds = 0;
  double review_log_odds = -7;
  // Random pairs sampled to estimate u.
  size_t u_sample_pairs = 200000;
  std::uint64_t seed = 20261125;
  // Keep possible twins at `review`: different given names, no agreeing SSN, and the same
  // surname, birth date and address (street number, street, suburb, postcode).
  bool review_possible_twins = true;
  BlockingOptions blocking;
  // Nicknames for given names; nullptr means NicknameTable::Default(). Must outlive the result.
  const NicknameTable* nicknames = nullptr;
};

// A pair the engine links or sends to review. In Dedupe both index the records (a < b); in Link
// `a` indexes the index records and `b` the query records.
struct ScoredPair {
  std::uint32_t a = 0;
  std::uint32_t b = 0;
  double score = 0;  // sum of field weights, in bits
  Decision decision = Decision::kNonMatch;
};

struct FieldExplanation {
  Field field;
  std::string_view level;
  double weight = 0;
};

struct PairExplanation {
  std::vector<FieldExplanation> fields;
  double score = 0;
  double log_odds = 0;  // score plus the prior log-odds
  Decision decision = Decision::kNonMatch;
  std::string_view capped_by;  // the rule that lowered the decision to review, or empty
};

// The outcome of one run. Owns the prepared records, so pairs can be explained afterwards.
class MatchResult {
 public:
  // Pairs decided `link` or `review`, sorted by (a, b).
  const std::vector<ScoredPair>& pairs() const { return pairs_; }
  // Every blocked candidate pair (PairKey), sorted: the pairs that were compared at all.
  const std::vector<PairKey>& candidates() const { return candidates_; }
  const MatchModel& model() const { return model_; }
  bool linkage() const { return linkage_; }
  // Score thresholds equivalent to the log-odds thresholds for this run.
  double link_score() const { return link_score_; }
  double review_score() const { return review_score_; }
  double prior_log_odds() const { return prior_log_odds_; }

  // Field-by-field weights and the decision for any pair of record indexes (compared or not).
  // kInvalidArgument when an index is out of range.
  Result<PairExplanation> Explain(std::uint32_t a, std::uint32_t b) const;

 private:
  friend class MatchEngine;
  const PreparedRecord& RecordB(std::uint32_t b) const {
    return linkage_ ? records_b_[b] : records_a_[b];
  }

  std::vector<ScoredPair> pairs_;
  std::vector<PairKey> candidates_;
  std::vector<PreparedRecord> records_a_;
  std::vector<PreparedRecord> records_b_;  // empty in deduplication
  MatchModel model_;
  bool linkage_ = false;
  bool review_possible_twins_ = true;
  double link_score_ = 0;
  double review_score_ = 0;
  double prior_log_odds_ = 0;
};

// The rule that keeps a pair from `link` whatever its score ("placeholder_name",
// "suffix_conflict", "possible_twin"), or empty. Batch matching and PatientIndex share it.
std::string_view LinkCapRule(const LevelVector& levels, const PreparedRecord& a,
                             const PreparedRecord& b, bool review_possible_twins);

// Field-by-field weights and the decision for one pair under `model`, with the given prior
// log-odds and the thresholds and rules of `options`.
PairExplanation ExplainPair(const MatchModel& model, const PreparedRecord& a,
                            const PreparedRecord& b, double prior_log_odds,
                            const MatchOptions& options);

// Finds duplicate pairs within `records`. kInvalidArgument for 2^31 records or more.
Result<MatchResult> Dedupe(const std::vector<PersonRecord>& records,
                           const MatchOptions& options = {});

// Finds pairs across `index_records` and `query_records`. kInvalidArgument for 2^31 records or
// more in either.
Result<MatchResult> Link(const std::vector<PersonRecord>& index_records,
                         const std::vector<PersonRecord>& query_records,
                         const MatchOptions& options = {});

}  // namespace custos::patients
