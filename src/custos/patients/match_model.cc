#include "custos/patients/match_model.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_map>

#include "custos/patients/parallel.h"

namespace custos::patients {

namespace {

// Probabilities never reach 0 or 1: a level unseen in a sample is rare, not impossible.
constexpr double kMinProbability = 1e-7;
// EM stops when no m changes by more than this.
constexpr double kConvergence = 1e-7;
// Pseudo-counts (in pairs) pulling m towards the priors, so a level seen in few pairs keeps a
// plausible probability.
constexpr double kPriorStrength = 5.0;
// Term-frequency adjustment never moves an exact-name weight by more than this many bits.
constexpr double kMaxFrequencyAdjustment = 4.0;
// A conditioning field needs this many agreeing candidate pairs to carry an EM session.
constexpr size_t kMinSessionPairs = 20;
// EM's starting guess for the share of matches among the pairs of a session.
constexpr double kInitialMatchShare = 0.1;

// Typical clerical agreement rates for one person's records, per level, best level first.
std::array<double, kMaxLevels> PriorM(Field field) {
  // People change e-mail addresses far more often than they mistype them.
  if (field == Field::kEmail) return {0.7, 0.3, 0, 0, 0, 0};
  switch (LevelCount(field)) {
    case 6:
      return {0.85, 0.06, 0.03, 0.02, 0.04, 0};
    case 4:
      return {0.90, 0.05, 0.05, 0, 0, 0};
    default:
      return {0.95, 0.05, 0, 0, 0, 0};
  }
}

// Typical agreement rates of two different people, for a field the data being fitted never fills
// in (a registration field missing from a FEBRL-style file): the model keeps these and the prior
// m, so a record that does carry the field still gets sensible evidence from it.
std::array<double, kMaxLevels> PriorU(Field field) {
  if (field == Field::kSex) return {0.5, 0.5, 0, 0, 0, 0};
  switch (LevelCount(field)) {
    case 6:
      return {0.005, 0.005, 0.01, 0.03, 0.95, 0};
    case 4:
      return {1e-4, 1e-3, 1 - 1e-4 - 1e-3, 0, 0, 0};
    default:
      return {1e-4, 1 - 1e-4, 0, 0, 0, 0};
  }
}

std::uint64_t Pack(const LevelVector& levels) {
  std::uint64_t key = 0;
  static_assert(kFieldCount * 3 <= 64);
  for (std::uint8_t level : levels) key = key * 8 + level;
  return key;
}

// Distinct level patterns among `candidates` with their counts, in order of first appearance
// (deterministic: each thread counts one contiguous slice, slices merged in order).
std::vector<LevelPattern> CountPatterns(std::span<const LevelVector> candidates) {
  const size_t slices = internal::WorkerCount();
  const size_t slice_size = std::max<size_t>(1, (candidates.size() + slices - 1) / slices);
  std::vector<std::vector<LevelPattern>> counted(
      internal::ChunkCount(candidates.size(), slice_size));
  internal::ForEachChunk(
      candidates.size(), slice_size, [&](size_t slice, size_t begin, size_t end) {
        std::unordered_map<std::uint64_t, size_t> index;
        std::vector<LevelPattern>& patterns = counted[slice];
        for (size_t i = begin; i < end; ++i) {
          const auto [it, inserted] = index.emplace(Pack(candidates[i]), patterns.size());
          if (inserted) patterns.push_back(LevelPattern{candidates[i], 0});
          patterns[it->second].count += 1;
        }
      });
  std::unordered_map<std::uint64_t, size_t> index;
  std::vector<LevelPattern> patterns;
  for (const std::vector<LevelPattern>& slice : counted) {
    for (const LevelPattern& pattern : slice) {
      const auto [it, inserted] = index.emplace(Pack(pattern.levels), patterns.size());
      if (inserted) patterns.push_back(LevelPattern{pattern.levels, 0});
      patterns[it->second].count += pattern.count;
    }
  }
  return patterns;
}

void Normalise(std::array<double, kMaxLevels>& row, size_t real_levels) {
  double total = 0;
  for (size_t level = 0; level < real_levels; ++level) {
    row[level] = std::max(row[level], kMinProbability);
    total += row[level];
  }
  for (size_t level = 0; level < real_levels; ++level) row[level] /= total;
}

}  // namespace

MatchModel::MatchModel() {
  for (size_t f = 0; f < kFieldCount; ++f) {
    const Field field = static_cast<Field>(f);
    const size_t real_levels = LevelCount(field) - 1;
    m_[f] = PriorM(field);
    u_[f] = PriorU(field);
    Normalise(u_[f], real_levels);
  }
  UpdateWeights();
}

void MatchModel::EstimateU(std::span<const PreparedRecord> a, std::span<const PreparedRecord> b,
                           size_t sample_pairs, std::uint64_t seed, bool same_set) {
  if (a.empty() || b.empty()) return;
  LevelTable counts{};
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<size_t> pick_a(0, a.size() - 1);
  std::uniform_int_distribution<size_t> pick_b(0, b.size() - 1);
  for (size_t sample = 0; sample < sample_pairs; ++sample) {
    const size_t i = pick_a(random);
    const size_t j = pick_b(random);
    if (same_set && i == j) continue;
    const LevelVector levels = CompareRecords(a[i], b[j]);
    for (size_t f = 0; f < kFieldCount; ++f) counts[f][levels[f]] += 1;
  }
  // Exact agreement from value frequencies: far more precise than a sample for rare values.
  // Fields are independent, so they are counted in parallel; one set is counted once.
  internal::ForEachChunk(kFieldCount, 1, [&](size_t f, size_t, size_t) {
    const Field field = static_cast<Field>(f);
    const size_t real_levels = LevelCount(field) - 1;
    std::unordered_map<std::string_view, std::array<double, 2>> frequencies;
    double present_a = 0;
    double present_b = 0;
    for (const PreparedRecord& record : a) {
      const std::string_view text = record.Text(field);
      if (text.empty()) continue;
      frequencies[text][0] += 1;
      present_a += 1;
    }
    if (same_set) {
      for (auto& [text, count] : frequencies) count[1] = count[0];
      present_b = present_a;
    } else {
      for (const PreparedRecord& record : b) {
        const std::string_view text = record.Text(field);
        if (text.empty()) continue;
        frequencies[text][1] += 1;
        present_b += 1;
      }
    }
    if (present_a == 0 || present_b == 0) {
      u_[f] = PriorU(field);
      return;
    }
    double exact = 0;
    for (const auto& [text, count] : frequencies) {
      exact += (count[0] / present_a) * (count[1] / present_b);
    }
    double sampled_other = 0;
    for (size_t level = 1; level < real_levels; ++level) sampled_other += counts[f][level] + 0.5;
    u_[f][0] = std::max(exact, kMinProbability);
    for (size_t level = 1; level < real_levels; ++level) {
      u_[f][level] = (1 - u_[f][0]) * (counts[f][level] + 0.5) / sampled_other;
    }
    Normalise(u_[f], real_levels);
  });
  UpdateWeights();
}

double MatchModel::EstimateM(std::span<const LevelVector> candidates, int max_iterations) {
  // EM works on distinct level patterns and their counts: far fewer than pairs. Counted once,
  // in parallel; each session below takes the patterns agreeing exactly on its field.
  const std::vector<LevelPattern> patterns = CountPatterns(candidates);
  // Conditioning fields, best first: discriminating, and (for different people) nearly
  // independent of the other fields.
  constexpr Field kConditioning[] = {Field::kDateOfBirth, Field::kSurname, Field::kGivenName,
                                     Field::kPostcode,    Field::kSuburb,  Field::kSsn,
                                     Field::kPhone};
  std::vector<size_t> chosen;
  std::vector<std::vector<LevelPattern>> sessions;
  std::vector<double> session_pairs;
  for (Field field : kConditioning) {
    const size_t f = static_cast<size_t>(field);
    std::vector<LevelPattern> agreeing;
    double pairs = 0;
    for (const LevelPattern& pattern : patterns) {
      if (pattern.levels[f] != 0) continue;
      agreeing.push_back(pattern);
      pairs += pattern.count;
    }
    if (pairs < static_cast<double>(kMinSessionPairs)) continue;
    chosen.push_back(f);
    sessions.push_back(std::move(agreeing));
    session_pairs.push_back(pairs);
    if (chosen.size() == 2) break;
  }
  if (chosen.empty()) {
    const double share = RunEm(patterns, kFieldCount, max_iterations);
    UpdateWeights();
    return share * static_cast<double>(candidates.size());
  }
  const size_t first = chosen[0];
  MatchModel second_session = *this;
  const double first_share = RunEm(sessions[0], first, max_iterations);
  if (chosen.size() == 2) {
    const size_t second = chosen[1];
    second_session.RunEm(sessions[1], second, max_iterations);
    for (size_t f = 0; f < kFieldCount; ++f) {
      if (f == first) {
        m_[f] = second_session.m_[f];
      } else if (f != second) {
        for (size_t level = 0; level < kMaxLevels; ++level) {
          m_[f][level] = (m_[f][level] + second_session.m_[f][level]) / 2;
        }
      }
    }
  }
  UpdateWeights();
  // Matches agreeing exactly on the first field, over the share of matches that do.
  return first_share * session_pairs[0] / m_[first][0];
}

double MatchModel::RunEm(std::span<const LevelPattern> patterns, size_t excluded,
                         int max_iterations) {
  double match_share = kInitialMatchShare;
  if (patterns.empty()) return 0;
  auto used = [&](size_t f, std::uint8_t level) {
    return f != excluded && level != MissingLevel(static_cast<Field>(f));
  };
  std::array<std::array<double, kMaxLevels>, kFieldCount> priors{};
  for (size_t f = 0; f < kFieldCount; ++f) priors[f] = PriorM(static_cast<Field>(f));
  std::vector<double> log_u(patterns.size());
  for (size_t p = 0; p < patterns.size(); ++p) {
    double total = 0;
    for (size_t f = 0; f < kFieldCount; ++f) {
      if (used(f, patterns[p].levels[f])) total += std::log(u_[f][patterns[p].levels[f]]);
    }
    log_u[p] = total;
  }
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    LevelTable expected{};
    double expected_matches = 0;
    double all = 0;
    const double log_share = std::log(match_share);
    const double log_other = std::log(1 - match_share);
    for (size_t p = 0; p < patterns.size(); ++p) {
      const LevelVector& levels = patterns[p].levels;
      double log_m = 0;
      for (size_t f = 0; f < kFieldCount; ++f) {
        if (used(f, levels[f])) log_m += std::log(m_[f][levels[f]]);
      }
      const double posterior = 1 / (1 + std::exp(log_other + log_u[p] - log_share - log_m));
      const double weight = posterior * patterns[p].count;
      expected_matches += weight;
      all += patterns[p].count;
      for (size_t f = 0; f < kFieldCount; ++f) expected[f][levels[f]] += weight;
    }
    double change = 0;
    for (size_t f = 0; f < kFieldCount; ++f) {
      if (f == excluded) continue;
      const size_t real_levels = LevelCount(static_cast<Field>(f)) - 1;
      std::array<double, kMaxLevels> row{};
      for (size_t level = 0; level < real_levels; ++level) {
        row[level] = expected[f][level] + kPriorStrength * priors[f][level];
      }
      Normalise(row, real_levels);
      for (size_t level = 0; level < real_levels; ++level) {
        change = std::max(change, std::abs(row[level] - m_[f][level]));
      }
      m_[f] = row;
    }
    match_share = std::clamp(expected_matches / all, 1e-6, 1 - 1e-6);
    if (change < kConvergence) break;
  }
  return match_share;
}

void MatchModel::SetProbabilities(const LevelTable& m, const LevelTable& u) {
  m_ = m;
  u_ = u;
  UpdateWeights();
}

void MatchModel::UpdateWeights() {
  for (size_t f = 0; f < kFieldCount; ++f) {
    const Field field = static_cast<Field>(f);
    const size_t real_levels = LevelCount(field) - 1;
    weights_[f] = {};
    for (size_t level = 0; level < real_levels; ++level) {
      weights_[f][level] = std::log2(std::max(m_[f][level], kMinProbability) /
                                     std::max(u_[f][level], kMinProbability));
    }
  }
}

double MatchModel::PairWeight(Field field, std::uint8_t level, const PreparedRecord& a,
                              const PreparedRecord& b) const {
  return PairWeight(field, level,
                    NameFrequencies{std::max(a.given_frequency, b.given_frequency),
                                    std::max(a.surname_frequency, b.surname_frequency)});
}

double MatchModel::PairWeight(Field field, std::uint8_t level,
                              const NameFrequencies& frequencies) const {
  const double weight = Weight(field, level);
  if (level != 0 || (field != Field::kGivenName && field != Field::kSurname)) return weight;
  // P(agree on value v | different people) = f_v² against u = Σ f², P(.. | same) ∝ f_v:
  // the exact weight becomes log2(m / f_v) instead of log2(m / u).
  const float frequency = field == Field::kGivenName ? frequencies.given : frequencies.surname;
  if (frequency <= 0) return weight;
  const size_t f = static_cast<size_t>(field);
  const double adjusted = std::log2(m_[f][0] / static_cast<double>(frequency));
  return std::clamp(adjusted, weight - kMaxFrequencyAdjustment, weight + kMaxFrequencyAdjustment);
}

double MatchModel::Score(const LevelVector& levels, const PreparedRecord& a,
                         const PreparedRecord& b) const {
  return Score(levels, NameFrequencies{std::max(a.given_frequency, b.given_frequency),
                                       std::max(a.surname_frequency, b.surname_frequency)});
}

double MatchModel::Score(const LevelVector& levels, const NameFrequencies& frequencies) const {
  double score = 0;
  for (size_t f = 0; f < kFieldCount; ++f) {
    score += PairWeight(static_cast<Field>(f), levels[f], frequencies);
  }
  return score;
}

}  // namespace custos::patients
