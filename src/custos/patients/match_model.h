// The Fellegi-Sunter match model: for every field and agreement level, m = P(level | same person)
// and u = P(level | different people); the level's weight is log2(m / u) bits and a pair's score
// is the sum of its fields' weights ("missing" weighs 0).
//
// Nothing here uses labels. u comes from the records themselves: exact agreement from value
// frequencies (Σ f²), the other levels from a fixed-seed sample of random pairs. m is estimated
// by expectation-maximisation over the candidate pairs (u held fixed, which anchors the
// "different people" class), starting from priors describing typical clerical error rates.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "custos/patients/comparison.h"

namespace custos::patients {

using LevelTable = std::array<std::array<double, kMaxLevels>, kFieldCount>;

// The term frequencies a pair's exact name agreement is weighed with.
struct NameFrequencies {
  float given = 0;
  float surname = 0;
};

// One distinct combination of agreement levels and how many candidate pairs show it.
struct LevelPattern {
  LevelVector levels{};
  double count = 0;
};

class MatchModel {
 public:
  // Priors for m and u (typical rates, see match_model.cc); estimate before use.
  MatchModel();

  // Estimates u. `a` and `b` are the same set in deduplication. Deterministic for a given seed.
  void EstimateU(std::span<const PreparedRecord> a, std::span<const PreparedRecord> b,
                 size_t sample_pairs, std::uint64_t seed, bool same_set);

  // Estimates m by EM and returns the estimated number of true matches among `candidates`.
  //
  // Candidate pairs agree on their blocking keys far more often than random pairs, so EM over all
  // of them would mistake "blocked together" for "same person". Instead (as Splink does) EM runs
  // in two sessions, each over the candidates agreeing exactly on one conditioning field and
  // leaving that field out: given, say, an exact date of birth, different people agree on the
  // other fields about as often as random pairs do, so the fixed u stays valid. The conditioning
  // fields are the first two with enough agreeing pairs among date of birth, surname, given name,
  // postcode, suburb, SSN and phone. The first session estimates every other field, the second
  // estimates the first field; fields estimated by both take the mean. Falls back to one session
  // over all candidates when no field qualifies.
  double EstimateM(std::span<const LevelVector> candidates, int max_iterations = 200);

  // log2(m/u) for a level; 0 for "missing".
  double Weight(Field field, std::uint8_t level) const {
    return weights_[static_cast<size_t>(field)][level];
  }
  // The weight of one field for a pair, including the term-frequency adjustment of exact name
  // agreement: agreeing on a rare surname is stronger evidence than agreeing on "smith".
  double PairWeight(Field field, std::uint8_t level, const PreparedRecord& a,
                    const PreparedRecord& b) const;
  // Sum of PairWeight over all fields.
  double Score(const LevelVector& levels, const PreparedRecord& a, const PreparedRecord& b) const;
  // The same from the pair's name frequencies alone (the larger of the two records' given_frequency
  // and surname_frequency): batch scoring keeps these in small arrays instead of reading both
  // records again.
  double PairWeight(Field field, std::uint8_t level, const NameFrequencies& frequencies) const;
  double Score(const LevelVector& levels, const NameFrequencies& frequencies) const;

  double m(Field field, std::uint8_t level) const { return m_[static_cast<size_t>(field)][level]; }
  double u(Field field, std::uint8_t level) const { return u_[static_cast<size_t>(field)][level]; }
  const LevelTable& m_table() const { return m_; }
  const LevelTable& u_table() const { return u_; }

  // Replaces m and u (a model read back from JSON) and recomputes the weights. Each row holds
  // LevelCount(field) - 1 probabilities (the "missing" level has none).
  void SetProbabilities(const LevelTable& m, const LevelTable& u);

  // How many other records of the same person one record has, on average, in the data the model
  // was fitted on (2 × estimated matches / records in deduplication). A query scored against an
  // index of N records takes matches_per_record / N as its prior probability per pair, which is
  // the prior batch matching uses for a set of N records. 0 until set.
  double matches_per_record() const { return matches_per_record_; }
  void set_matches_per_record(double value) { matches_per_record_ = value; }

 private:
  // One EM session over the pairs `patterns` count, leaving `excluded` out (kFieldCount: none).
  // Updates m of the other fields; returns the estimated share of matches among those pairs.
  double RunEm(std::span<const LevelPattern> patterns, size_t excluded, int max_iterations);
  void UpdateWeights();

  LevelTable m_{};
  LevelTable u_{};
  LevelTable weights_{};
  double matches_per_record_ = 0;
};

}  // namespace custos::patients
