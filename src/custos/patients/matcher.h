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
// review_log_odds. The thresholds are fixed in advance, not fitted to labelled data. Rules can
// only lower a decision to `review`, never raise it: a placeholder name ("baby boy",
// "john doe"), conflicting generational suffixes (jr / sr), households, and possible twins:
// a different given name or sex without an agreeing SSN, with the same surname, birth date and
// address.
//
// Linkage (Link: two lists, each assumed to hold a person once) adds two things. The assignment is
// one-to-one: a query record links to at most one index record and an index record to at most one
// query record, best score first; the pairs that lose go to review. And possible twins are weighed
// rather than capped: with the two twins of a family in both lists, each links to its own record
// and the crossed pairs lose the assignment; a lone twin-like pair links only when it is more
// likely one person whose given name was replaced than a new patient meeting a twin already in the
// index (TwinLogOdds), which depends on how many query records have a partner at all.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
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
  // surname, birth date and address (street number, street, suburb, postcode). In linkage the
  // rule is weighed as evidence (weigh_twins_in_linkage) instead of capping outright.
  bool review_possible_twins = true;
  // Linkage only: a query record links to at most one index record and vice versa.
  bool one_to_one_linkage = true;
  // Linkage only: release a possible twin held by the rule above when TwinLogOdds (the odds of
  // one person over twins) reaches link_log_odds. Needs one_to_one_linkage, so both twins present
  // in both lists still resolve to their own records.
  bool weigh_twins_in_linkage = true;
  // The share of people born a twin (≈ 3 % of births): the prior of the twin hypothesis.
  double twin_share = 0.03;
  BlockingOptions blocking;
  // Nicknames for given names; nullptr means NicknameTable::Default(). Must outlive the result.
  const NicknameTable* nicknames = nullptr;
  // Told as the run goes: the stage ("comparing", "estimating", "scoring") and the share of the
  // whole run done, 0 to 1 (for a progress bar). Called from the engine's threads, never two at
  // once; empty for none.
  std::function<void(std::string_view stage, double done)> progress;
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
  // The rule that lowered the decision to review ("placeholder_name", "suffix_conflict",
  // "possible_twin", "household_member", "one_to_one": the query or index record links to a
  // better-scoring partner), or empty.
  std::string_view capped_by;
  // Linkage, pairs with the twin signature only: log2 odds of one person over a twin or relative
  // (TwinLogOdds); the pair is released from the twin rule when it reaches link_log_odds.
  std::optional<double> twin_log_odds;
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
  // Linkage: the estimated share of query records that have a partner in the index (EM's
  // estimated matches over query records, smoothed so it is never exactly 0 or 1).
  double coverage() const { return coverage_; }

  // Field-by-field weights and the decision for any pair of record indexes (compared or not).
  // kInvalidArgument when an index is out of range.
  Result<PairExplanation> Explain(std::uint32_t a, std::uint32_t b) const;

 private:
  friend class MatchEngine;
  const PreparedRecord& RecordB(std::uint32_t b) const {
    return linkage_ ? records_b_[b] : records_a_[b];
  }
  // The rule keeping a would-be link at review (LinkCapRule; in linkage a possible twin is
  // released when TwinLogOdds reaches link_log_odds), or empty. Sets `twin_log_odds` when weighed.
  std::string_view RuleCap(const LevelVector& levels, const PreparedRecord& x,
                           const PreparedRecord& y,
                           std::optional<double>* twin_log_odds = nullptr) const;

  std::vector<ScoredPair> pairs_;
  std::vector<PairKey> candidates_;
  std::vector<PreparedRecord> records_a_;
  std::vector<PreparedRecord> records_b_;  // empty in deduplication
  MatchModel model_;
  bool linkage_ = false;
  MatchOptions options_;
  // Linkage with one_to_one_linkage: the index record each query record links to, or kUnlinked.
  std::vector<std::uint32_t> linked_index_of_query_;
  double link_score_ = 0;
  double review_score_ = 0;
  double prior_log_odds_ = 0;
  double coverage_ = 0;
};

// In linkage, the log2 odds that a pair with the twin signature is one person (the query record's
// own index record, some fields mistyped or replaced) rather than a twin or relative of a query
// record that has no partner in the index:
//   log2(coverage · Π m(level)) − log2((1 − coverage) · twin_share)
// over the pair's compared fields, taking a twin to produce exactly this pattern with certainty
// (the cautious bound). High coverage (nearly every query record has a partner) favours one
// person; a feed of mostly new patients favours the twin.
double TwinLogOdds(const MatchModel& model, const LevelVector& levels, double coverage,
                   double twin_share);

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

// The same from records prepared beforehand (ReadPreparedCsv streams a large file into them
// without keeping its text); name frequencies are filled in here. The nicknames the records were
// prepared with must be options.nicknames (nullptr: the default table).
Result<MatchResult> DedupePrepared(std::vector<PreparedRecord> records,
                                   const MatchOptions& options = {});
Result<MatchResult> LinkPrepared(std::vector<PreparedRecord> index_records,
                                 std::vector<PreparedRecord> query_records,
                                 const MatchOptions& options = {});

}  // namespace custos::patients
