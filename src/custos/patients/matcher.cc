#include "custos/patients/matcher.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "custos/patients/parallel.h"

namespace custos::patients {

namespace {

constexpr std::uint32_t kMaxRecords = 0x7fffffffu;
constexpr double kNameLikeness = 0.85;
// Records per unit of parallel work when listing and comparing candidate pairs.
constexpr size_t kRecordsPerChunk = 2048;
// Candidate pairs per unit of parallel work when scoring.
constexpr size_t kPairsPerChunk = 1 << 16;
constexpr std::uint32_t kUnlinked = 0xffffffffu;
constexpr size_t kPrefetchAhead = 4;

// Allocates without value-initialising: resizing the level array (hundreds of MB at 1M records)
// then costs no pass of zeroes before every element is written.
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <typename U>
  explicit DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
  template <typename U>
  void construct(U* place) noexcept {
    ::new (static_cast<void*>(place)) U;
  }
  template <typename U, typename... Args>
  void construct(U* place, Args&&... args) {
    ::new (static_cast<void*>(place)) U(std::forward<Args>(args)...);
  }
};
using LevelArray = std::vector<LevelVector, DefaultInitAllocator<LevelVector>>;

void Prefetch(const PreparedRecord& record) {
  const char* bytes = reinterpret_cast<const char*>(&record);
  for (size_t offset = 0; offset < sizeof(PreparedRecord); offset += 64) {
    __builtin_prefetch(bytes + offset);
  }
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

double TwinLogOdds(const MatchModel& model, const LevelVector& levels, double coverage,
                   double twin_share) {
  double log_likelihood = 0;  // log2 P(levels | one person)
  for (size_t f = 0; f < kFieldCount; ++f) {
    const Field field = static_cast<Field>(f);
    if (levels[f] == MissingLevel(field)) continue;
    log_likelihood += std::log2(std::max(model.m(field, levels[f]), 1e-300));
  }
  return std::log2(coverage) + log_likelihood - std::log2((1 - coverage) * twin_share);
}

// MatchOptions::progress, serialised. The comparing passes take nearly all of a run's time, so
// they get most of the bar, reported per chunk of records.
class ProgressReporter {
 public:
  explicit ProgressReporter(const MatchOptions& options) : report_(options.progress) {}
  void Tell(std::string_view stage, double done) const {
    if (!report_) return;
    std::lock_guard lock(mutex_);
    report_(stage, done);
  }
  // Chunk `finished` of `total` of a pass spanning [from, to) of the run.
  void TellChunk(std::string_view stage, double from, double to, size_t total) const {
    if (!report_) return;
    const size_t finished = ++chunks_done_;
    Tell(stage, from + (to - from) * static_cast<double>(finished) / static_cast<double>(total));
  }
  void StartPass() const { chunks_done_ = 0; }

 private:
  const std::function<void(std::string_view, double)>& report_;
  mutable std::mutex mutex_;
  mutable std::atomic<size_t> chunks_done_{0};
};

class MatchEngine {
 public:
  static std::vector<NameFrequencies> FrequenciesOf(std::span<const PreparedRecord> records) {
    std::vector<NameFrequencies> frequencies(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      frequencies[i] = NameFrequencies{records[i].given_frequency, records[i].surname_frequency};
    }
    return frequencies;
  }

  static Result<MatchResult> Run(std::vector<PreparedRecord> a, std::vector<PreparedRecord> b,
                                 bool linkage, const MatchOptions& options) {
    if (a.size() > kMaxRecords || b.size() > kMaxRecords) {
      return Status::InvalidArgument("too many records to match in one run");
    }
    MatchResult result;
    result.linkage_ = linkage;
    result.options_ = options;
    result.records_a_ = std::move(a);
    result.records_b_ = std::move(b);
    {
      std::vector<std::vector<PreparedRecord>*> sets = {&result.records_a_};
      if (linkage) sets.push_back(&result.records_b_);
      AssignNameFrequencies(sets);
    }
    const std::span<const PreparedRecord> records_a = result.records_a_;
    const std::span<const PreparedRecord> records_b =
        linkage ? std::span<const PreparedRecord>(result.records_b_) : records_a;

    const ProgressReporter progress(options);
    progress.Tell("comparing", 0);
    LevelArray levels;
    CompareCandidates(records_a, records_b, linkage, options.blocking, result.candidates_, levels,
                      progress);

    progress.Tell("estimating", 0.85);
    result.model_.EstimateU(records_a, records_b, options.u_sample_pairs, options.seed, !linkage);
    const double estimated_matches = result.model_.EstimateM(levels);

    const double n_a = static_cast<double>(records_a.size());
    const double n_b = static_cast<double>(records_b.size());
    const double possible_pairs = linkage ? n_a * n_b : n_a * (n_a - 1) / 2;
    const double expected_matches = std::max(1.0, estimated_matches);
    result.prior_log_odds_ = possible_pairs > expected_matches
                                 ? std::log2(expected_matches / (possible_pairs - expected_matches))
                                 : 0;
    // Each match involves two records in deduplication, one query record in linkage.
    result.model_.set_matches_per_record(linkage ? expected_matches / std::max(1.0, n_b)
                                                 : 2 * expected_matches / std::max(1.0, n_a));
    // Laplace's rule: with n query records the share is never taken as exactly 0 or 1.
    result.coverage_ =
        std::clamp((estimated_matches + 1) / (n_b + 2), 1 / (n_b + 2), 1 - 1 / (n_b + 2));
    result.link_score_ = options.link_log_odds - result.prior_log_odds_;
    result.review_score_ = options.review_log_odds - result.prior_log_odds_;

    progress.Tell("scoring", 0.95);
    // Scored in parallel chunks, concatenated in chunk order so the pairs stay sorted. The name
    // frequencies come from small arrays: reading both records again would miss the cache on
    // nearly every pair. Only pairs reaching `link` read the records again, for the rules.
    const std::vector<NameFrequencies> frequencies_a = FrequenciesOf(records_a);
    const std::vector<NameFrequencies> frequencies_b =
        linkage ? FrequenciesOf(records_b) : std::vector<NameFrequencies>();
    const std::vector<NameFrequencies>& frequencies_of_b = linkage ? frequencies_b : frequencies_a;
    std::vector<std::vector<ScoredPair>> chunks(
        internal::ChunkCount(levels.size(), kPairsPerChunk));
    internal::ForEachChunk(
        levels.size(), kPairsPerChunk, [&](size_t chunk, size_t begin, size_t end) {
          std::vector<ScoredPair>& out = chunks[chunk];
          for (size_t i = begin; i < end; ++i) {
            const PairKey key = result.candidates_[i];
            const NameFrequencies& fa = frequencies_a[PairFirst(key)];
            const NameFrequencies& fb = frequencies_of_b[PairSecond(key)];
            const double score = result.model_.Score(
                levels[i],
                NameFrequencies{std::max(fa.given, fb.given), std::max(fa.surname, fb.surname)});
            if (score < result.review_score_) continue;
            Decision decision = score >= result.link_score_ ? Decision::kLink : Decision::kReview;
            if (decision == Decision::kLink &&
                !result.RuleCap(levels[i], records_a[PairFirst(key)], records_b[PairSecond(key)])
                     .empty()) {
              decision = Decision::kReview;
            }
            out.push_back(ScoredPair{PairFirst(key), PairSecond(key), score, decision});
          }
        });
    size_t scored = 0;
    for (const auto& chunk : chunks) scored += chunk.size();
    result.pairs_.reserve(scored);
    for (auto& chunk : chunks) {
      result.pairs_.insert(result.pairs_.end(), chunk.begin(), chunk.end());
      std::vector<ScoredPair>().swap(chunk);
    }
    if (linkage && options.one_to_one_linkage) AssignOneToOne(result);
    progress.Tell("done", 1);
    return result;
  }

 private:
  // Lists every record's candidate partners and compares them, in parallel. Two passes over the
  // blocks: the first counts each chunk's pairs, so the second writes pairs and levels straight
  // into arrays of the exact size, in sorted order, with no per-pair allocation.
  static void CompareCandidates(std::span<const PreparedRecord> records_a,
                                std::span<const PreparedRecord> records_b, bool linkage,
                                const BlockingOptions& blocking, std::vector<PairKey>& candidates,
                                LevelArray& levels, const ProgressReporter& progress) {
    const CandidateBlocks blocks(records_a, linkage ? records_b : std::span<const PreparedRecord>(),
                                 linkage, blocking);
    const size_t chunk_count = internal::ChunkCount(records_a.size(), kRecordsPerChunk);
    std::vector<size_t> offsets(chunk_count + 1, 0);
    progress.Tell("comparing", 0.05);  // the blocks are built
    progress.StartPass();
    internal::ForEachChunk(records_a.size(), kRecordsPerChunk,
                           [&](size_t chunk, size_t begin, size_t end) {
                             std::vector<std::uint32_t> partners;
                             size_t count = 0;
                             for (size_t r = begin; r < end; ++r) {
                               blocks.Partners(static_cast<std::uint32_t>(r), partners);
                               count += partners.size();
                             }
                             offsets[chunk + 1] = count;
                             progress.TellChunk("comparing", 0.05, 0.25, chunk_count);
                           });
    for (size_t c = 0; c < chunk_count; ++c) offsets[c + 1] += offsets[c];
    candidates.resize(offsets[chunk_count]);
    levels.resize(offsets[chunk_count]);
    progress.StartPass();
    internal::ForEachChunk(records_a.size(), kRecordsPerChunk,
                           [&](size_t chunk, size_t begin, size_t end) {
                             std::vector<std::uint32_t> partners;
                             size_t out = offsets[chunk];
                             for (size_t r = begin; r < end; ++r) {
                               const auto first = static_cast<std::uint32_t>(r);
                               blocks.Partners(first, partners);
                               for (size_t k = 0; k < partners.size(); ++k) {
                                 // Partners lie scattered over a large array: fetching a few
                                 // records ahead hides much of the memory latency.
                                 if (k + kPrefetchAhead < partners.size()) {
                                   Prefetch(records_b[partners[k + kPrefetchAhead]]);
                                 }
                                 const std::uint32_t second = partners[k];
                                 candidates[out] = MakePairKey(first, second);
                                 levels[out] = CompareRecords(records_a[first], records_b[second]);
                                 ++out;
                               }
                             }
                             progress.TellChunk("comparing", 0.25, 0.85, chunk_count);
                           });
  }

  // Linkage: each query record links to at most one index record and each index record to at
  // most one query record. Links are taken best score first (ties by index, then query record);
  // a link whose query or index record is already taken becomes a review.
  static void AssignOneToOne(MatchResult& result) {
    std::vector<size_t> links;
    for (size_t i = 0; i < result.pairs_.size(); ++i) {
      if (result.pairs_[i].decision == Decision::kLink) links.push_back(i);
    }
    std::stable_sort(links.begin(), links.end(), [&](size_t x, size_t y) {
      return result.pairs_[x].score > result.pairs_[y].score;
    });
    result.linked_index_of_query_.assign(result.records_b_.size(), kUnlinked);
    std::vector<bool> index_taken(result.records_a_.size(), false);
    for (size_t i : links) {
      ScoredPair& pair = result.pairs_[i];
      if (index_taken[pair.a] || result.linked_index_of_query_[pair.b] != kUnlinked) {
        pair.decision = Decision::kReview;
        continue;
      }
      index_taken[pair.a] = true;
      result.linked_index_of_query_[pair.b] = pair.a;
    }
  }
};

std::string_view MatchResult::RuleCap(const LevelVector& levels, const PreparedRecord& x,
                                      const PreparedRecord& y,
                                      std::optional<double>* twin_log_odds) const {
  const std::string_view rule = LinkCapRule(levels, x, y, options_.review_possible_twins);
  if (rule != "possible_twin" || !linkage_ || !options_.one_to_one_linkage ||
      !options_.weigh_twins_in_linkage) {
    return rule;
  }
  const double odds = TwinLogOdds(model_, levels, coverage_, options_.twin_share);
  if (twin_log_odds != nullptr) *twin_log_odds = odds;
  return odds >= options_.link_log_odds ? std::string_view() : rule;
}

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
    explanation.capped_by = RuleCap(levels, x, y, &explanation.twin_log_odds);
    if (explanation.capped_by.empty() && !linked_index_of_query_.empty() &&
        linked_index_of_query_[b] != a) {
      explanation.capped_by = "one_to_one";
    }
    if (!explanation.capped_by.empty()) explanation.decision = Decision::kReview;
  } else if (explanation.score >= review_score_) {
    explanation.decision = Decision::kReview;
  }
  return explanation;
}

namespace {

const NicknameTable& NicknamesOf(const MatchOptions& options) {
  return options.nicknames != nullptr ? *options.nicknames : NicknameTable::Default();
}

}  // namespace

Result<MatchResult> Dedupe(const std::vector<PersonRecord>& records, const MatchOptions& options) {
  if (records.size() > kMaxRecords) {
    return Status::InvalidArgument("too many records to match in one run");
  }
  auto prepared = PrepareRecordSets({&records}, NicknamesOf(options));
  return MatchEngine::Run(std::move(prepared[0]), {}, false, options);
}

Result<MatchResult> Link(const std::vector<PersonRecord>& index_records,
                         const std::vector<PersonRecord>& query_records,
                         const MatchOptions& options) {
  if (index_records.size() > kMaxRecords || query_records.size() > kMaxRecords) {
    return Status::InvalidArgument("too many records to match in one run");
  }
  auto prepared = PrepareRecordSets({&index_records, &query_records}, NicknamesOf(options));
  return MatchEngine::Run(std::move(prepared[0]), std::move(prepared[1]), true, options);
}

Result<MatchResult> DedupePrepared(std::vector<PreparedRecord> records,
                                   const MatchOptions& options) {
  return MatchEngine::Run(std::move(records), {}, false, options);
}

Result<MatchResult> LinkPrepared(std::vector<PreparedRecord> index_records,
                                 std::vector<PreparedRecord> query_records,
                                 const MatchOptions& options) {
  return MatchEngine::Run(std::move(index_records), std::move(query_records), true, options);
}

}  // namespace custos::patients
