#include "custos/patients/matcher.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace custos::patients {

namespace {

constexpr std::uint32_t kMaxRecords = 0x7fffffffu;
constexpr double kNameLikeness = 0.85;
// Below this many items a loop runs on the calling thread: starting threads would cost more.
constexpr size_t kMinParallelItems = 100000;

// Runs `work(begin, end)` over [0, count) in one contiguous chunk per hardware thread (at most 8),
// chunk i covering items before chunk i + 1's.
template <typename Work>
void ParallelChunks(size_t count, Work&& work) {
  const size_t threads =
      count < kMinParallelItems ? 1 : std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  if (threads == 1) {
    work(size_t{0}, count, size_t{0});
    return;
  }
  std::vector<std::thread> pool;
  const size_t chunk = (count + threads - 1) / threads;
  for (size_t t = 0; t < threads; ++t) {
    const size_t begin = std::min(count, t * chunk);
    const size_t end = std::min(count, begin + chunk);
    pool.emplace_back([&work, begin, end, t] { work(begin, end, t); });
  }
  for (std::thread& thread : pool) thread.join();
}

// True when any name of one record (given or surname) is like any name of the other (same
// Soundex, or Jaro-Winkler ≥ 0.85): a swapped or misspelt name, not a different person.
bool NamesAlike(const PreparedRecord& a, const PreparedRecord& b) {
  const PreparedRecord* const records[] = {&a, &b};
  const std::string* names[2][2];
  const SoundexCode* codes[2][2];
  for (int r = 0; r < 2; ++r) {
    names[r][0] = &records[r]->given_name;
    names[r][1] = &records[r]->surname;
    codes[r][0] = &records[r]->given_soundex;
    codes[r][1] = &records[r]->surname_soundex;
  }
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      if (names[0][i]->empty() || names[1][j]->empty()) continue;
      if ((*codes[0][i])[0] != '0' && *codes[0][i] == *codes[1][j]) return true;
      if (JaroWinkler(*names[0][i], *names[1][j]) >= kNameLikeness) return true;
    }
  }
  return false;
}

}  // namespace

std::string_view LinkCapRule(const LevelVector& levels, const PreparedRecord& a,
                             const PreparedRecord& b, bool review_possible_twins) {
  if (a.placeholder_name || b.placeholder_name) return "placeholder_name";
  if (!a.suffix.empty() && !b.suffix.empty() && a.suffix != b.suffix) return "suffix_conflict";
  auto level = [&](Field field) { return levels[static_cast<size_t>(field)]; };
  constexpr auto kExact = static_cast<std::uint8_t>(TextLevel::kExact);
  static_assert(kExact == static_cast<std::uint8_t>(DateLevel::kExact) &&
                kExact == static_cast<std::uint8_t>(NumberLevel::kExact));
  const std::uint8_t ssn = level(Field::kSsn);
  const bool ssn_agrees =
      ssn == kExact || ssn == static_cast<std::uint8_t>(NumberLevel::kOneDigitOff);
  const bool given_differs =
      level(Field::kGivenName) == static_cast<std::uint8_t>(TextLevel::kDifferent);
  const bool sex_differs = level(Field::kSex) == static_cast<std::uint8_t>(CodeLevel::kDifferent);
  // Twins and other relatives: one surname, birth date and address, and a different given name
  // or sex, without an agreeing SSN. A different given name alone is not enough (clerks replace
  // names outright); together with an otherwise identical household and birth date it is the
  // twin signature.
  if (review_possible_twins && (given_differs || sex_differs) && !ssn_agrees &&
      level(Field::kSurname) == kExact && level(Field::kDateOfBirth) == kExact &&
      level(Field::kStreetNumber) == kExact && level(Field::kStreet) == kExact &&
      level(Field::kSuburb) == kExact && level(Field::kPostcode) == kExact) {
    return "possible_twin";
  }
  // A household: the address fields agree so often together that their weights alone can pass
  // the link threshold. Different given names, surnames and birth dates, without an agreeing SSN,
  // are a relative or a lodger, not a match.
  const std::uint8_t dob = level(Field::kDateOfBirth);
  if (given_differs && !ssn_agrees && !NamesAlike(a, b) &&
      level(Field::kSurname) == static_cast<std::uint8_t>(TextLevel::kDifferent) &&
      (dob == static_cast<std::uint8_t>(DateLevel::kDifferent) ||
       dob == static_cast<std::uint8_t>(DateLevel::kYearOff))) {
    return "household_member";
  }
  return {};
}

PairExplanation ExplainPair(const MatchModel& model, const PreparedRecord& a,
                            const PreparedRecord& b, double prior_log_odds,
                            const MatchOptions& options) {
  const LevelVector levels = CompareRecords(a, b);
  PairExplanation explanation;
  explanation.fields.reserve(kFieldCount);
  for (size_t f = 0; f < kFieldCount; ++f) {
    const Field field = static_cast<Field>(f);
    const double weight = model.PairWeight(field, levels[f], a, b);
    explanation.fields.push_back(FieldExplanation{field, LevelName(field, levels[f]), weight});
    explanation.score += weight;
  }
  explanation.log_odds = explanation.score + prior_log_odds;
  if (explanation.log_odds >= options.link_log_odds) {
    explanation.decision = Decision::kLink;
    explanation.capped_by = LinkCapRule(levels, a, b, options.review_possible_twins);
    if (!explanation.capped_by.empty()) explanation.decision = Decision::kReview;
  } else if (explanation.log_odds >= options.review_log_odds) {
    explanation.decision = Decision::kReview;
  }
  return explanation;
}

std::string_view DecisionName(Decision decision) {
  switch (decision) {
    case Decision::kNonMatch:
      return "non_match";
    case Decision::kReview:
      return "review";
    case Decision::kLink:
      return "link";
  }
  return "non_match";
}

class MatchEngine {
 public:
  static Result<MatchResult> Run(const std::vector<PersonRecord>& a,
                                 const std::vector<PersonRecord>* b, const MatchOptions& options) {
    if (a.size() > kMaxRecords || (b != nullptr && b->size() > kMaxRecords)) {
      return Status::InvalidArgument("too many records to match in one run");
    }
    const NicknameTable& nicknames =
        options.nicknames != nullptr ? *options.nicknames : NicknameTable::Default();
    MatchResult result;
    result.linkage_ = b != nullptr;
    result.review_possible_twins_ = options.review_possible_twins;
    {
      std::vector<const std::vector<PersonRecord>*> sets = {&a};
      if (b != nullptr) sets.push_back(b);
      auto prepared = PrepareRecordSets(sets, nicknames);
      result.records_a_ = std::move(prepared[0]);
      if (b != nullptr) result.records_b_ = std::move(prepared[1]);
    }
    const std::span<const PreparedRecord> records_a = result.records_a_;
    const std::span<const PreparedRecord> records_b =
        result.linkage_ ? std::span<const PreparedRecord>(result.records_b_) : records_a;
    result.candidates_ = result.linkage_ ? BlockLink(records_a, records_b, options.blocking)
                                         : BlockDedupe(records_a, options.blocking);

    std::vector<LevelVector> levels(result.candidates_.size());
    ParallelChunks(levels.size(), [&](size_t begin, size_t end, size_t) {
      for (size_t i = begin; i < end; ++i) {
        const PairKey key = result.candidates_[i];
        levels[i] = CompareRecords(records_a[PairFirst(key)], records_b[PairSecond(key)]);
      }
    });
    result.model_.EstimateU(records_a, records_b, options.u_sample_pairs, options.seed,
                            !result.linkage_);
    const double estimated_matches = result.model_.EstimateM(levels);

    const double n_a = static_cast<double>(records_a.size());
    const double n_b = static_cast<double>(records_b.size());
    const double possible_pairs = result.linkage_ ? n_a * n_b : n_a * (n_a - 1) / 2;
    const double expected_matches = std::max(1.0, estimated_matches);
    result.prior_log_odds_ = possible_pairs > expected_matches
                                 ? std::log2(expected_matches / (possible_pairs - expected_matches))
                                 : 0;
    // Each match involves two records in deduplication, one query record in linkage.
    result.model_.set_matches_per_record(result.linkage_
                                             ? expected_matches / std::max(1.0, n_b)
                                             : 2 * expected_matches / std::max(1.0, n_a));
    result.link_score_ = options.link_log_odds - result.prior_log_odds_;
    result.review_score_ = options.review_log_odds - result.prior_log_odds_;

    // Scored in parallel chunks, concatenated in chunk order so the pairs stay sorted.
    std::vector<std::vector<ScoredPair>> chunks(
        std::max<unsigned>(1, std::thread::hardware_concurrency()));
    if (chunks.size() > 8) chunks.resize(8);
    ParallelChunks(levels.size(), [&](size_t begin, size_t end, size_t chunk) {
      std::vector<ScoredPair>& out = chunks[chunk];
      for (size_t i = begin; i < end; ++i) {
        const PairKey key = result.candidates_[i];
        const PreparedRecord& x = records_a[PairFirst(key)];
        const PreparedRecord& y = records_b[PairSecond(key)];
        const double score = result.model_.Score(levels[i], x, y);
        if (score < result.review_score_) continue;
        Decision decision = score >= result.link_score_ ? Decision::kLink : Decision::kReview;
        if (decision == Decision::kLink &&
            !LinkCapRule(levels[i], x, y, options.review_possible_twins).empty()) {
          decision = Decision::kReview;
        }
        out.push_back(ScoredPair{PairFirst(key), PairSecond(key), score, decision});
      }
    });
    for (const auto& chunk : chunks) {
      result.pairs_.insert(result.pairs_.end(), chunk.begin(), chunk.end());
    }
    return result;
  }
};

Result<PairExplanation> MatchResult::Explain(std::uint32_t a, std::uint32_t b) const {
  const size_t b_size = linkage_ ? records_b_.size() : records_a_.size();
  if (a >= records_a_.size() || b >= b_size) {
    return Status::InvalidArgument("record index out of range");
  }
  const PreparedRecord& x = records_a_[a];
  const PreparedRecord& y = RecordB(b);
  const LevelVector levels = CompareRecords(x, y);
  PairExplanation explanation;
  for (size_t f = 0; f < kFieldCount; ++f) {
    const Field field = static_cast<Field>(f);
    const double weight = model_.PairWeight(field, levels[f], x, y);
    explanation.fields.push_back(FieldExplanation{field, LevelName(field, levels[f]), weight});
    explanation.score += weight;
  }
  explanation.log_odds = explanation.score + prior_log_odds_;
  if (explanation.score >= link_score_) {
    explanation.decision = Decision::kLink;
    explanation.capped_by = LinkCapRule(levels, x, y, review_possible_twins_);
    if (!explanation.capped_by.empty()) explanation.decision = Decision::kReview;
  } else if (explanation.score >= review_score_) {
    explanation.decision = Decision::kReview;
  }
  return explanation;
}

Result<MatchResult> Dedupe(const std::vector<PersonRecord>& records, const MatchOptions& options) {
  return MatchEngine::Run(records, nullptr, options);
}

Result<MatchResult> Link(const std::vector<PersonRecord>& index_records,
                         const std::vector<PersonRecord>& query_records,
                         const MatchOptions& options) {
  return MatchEngine::Run(index_records, &query_records, options);
}

}  // namespace custos::patients
