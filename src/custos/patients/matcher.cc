#include "custos/patients/matcher.h"

#include <cmath>

namespace custos::patients {

namespace {

constexpr std::uint32_t kMaxRecords = 0x7fffffffu;

// The rule that keeps a pair from `link` whatever its score, or empty.
std::string_view CapRule(const LevelVector& levels, const PreparedRecord& a,
                         const PreparedRecord& b, bool review_possible_twins) {
  if (a.placeholder_name || b.placeholder_name) return "placeholder_name";
  if (!a.suffix.empty() && !b.suffix.empty() && a.suffix != b.suffix) return "suffix_conflict";
  auto level = [&](Field field) { return levels[static_cast<size_t>(field)]; };
  constexpr auto kExact = static_cast<std::uint8_t>(TextLevel::kExact);
  static_assert(kExact == static_cast<std::uint8_t>(DateLevel::kExact) &&
                kExact == static_cast<std::uint8_t>(NumberLevel::kExact));
  // Twins: one surname, birth date and address, different given names and no agreeing SSN.
  // A different given name alone is not enough (clerks replace names outright); together with
  // an otherwise identical household and birth date it is the twin signature.
  const std::uint8_t ssn = level(Field::kSsn);
  if (review_possible_twins &&
      level(Field::kGivenName) == static_cast<std::uint8_t>(TextLevel::kDifferent) &&
      ssn != kExact && ssn != static_cast<std::uint8_t>(NumberLevel::kOneDigitOff) &&
      level(Field::kSurname) == kExact && level(Field::kDateOfBirth) == kExact &&
      level(Field::kStreetNumber) == kExact && level(Field::kStreet) == kExact &&
      level(Field::kSuburb) == kExact && level(Field::kPostcode) == kExact) {
    return "possible_twin";
  }
  return {};
}

}  // namespace

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
    for (size_t i = 0; i < result.candidates_.size(); ++i) {
      const PairKey key = result.candidates_[i];
      levels[i] = CompareRecords(records_a[PairFirst(key)], records_b[PairSecond(key)]);
    }
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
    result.link_score_ = options.link_log_odds - result.prior_log_odds_;
    result.review_score_ = options.review_log_odds - result.prior_log_odds_;

    for (size_t i = 0; i < result.candidates_.size(); ++i) {
      const PairKey key = result.candidates_[i];
      const PreparedRecord& x = records_a[PairFirst(key)];
      const PreparedRecord& y = records_b[PairSecond(key)];
      const double score = result.model_.Score(levels[i], x, y);
      if (score < result.review_score_) continue;
      Decision decision = score >= result.link_score_ ? Decision::kLink : Decision::kReview;
      if (decision == Decision::kLink &&
          !CapRule(levels[i], x, y, options.review_possible_twins).empty()) {
        decision = Decision::kReview;
      }
      result.pairs_.push_back(ScoredPair{PairFirst(key), PairSecond(key), score, decision});
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
    explanation.capped_by = CapRule(levels, x, y, review_possible_twins_);
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
