#include "custos/patients/evaluation.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace custos::patients {

namespace {

using IdIndex = std::unordered_map<std::string_view, std::uint32_t>;

IdIndex IndexIds(const std::vector<PersonRecord>& records) {
  IdIndex index;
  index.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    index.emplace(records[i].id, static_cast<std::uint32_t>(i));
  }
  return index;
}

double Ratio(size_t numerator, size_t denominator) {
  return denominator == 0 ? 0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

}  // namespace

Result<TruthPairs> ReadTruthPairs(const std::string& path) {
  CUSTOS_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  TruthPairs pairs;
  std::vector<std::string> fields;
  size_t line_number = 0;
  size_t position = 0;
  while (position < text.size()) {
    size_t end = text.find('\n', position);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + position, end - position);
    position = end + 1;
    ++line_number;
    if (line_number == 1 || line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    if (!SplitCsvLine(line, fields) || fields.size() < 2 || fields[0].empty() ||
        fields[1].empty()) {
      return Status::InvalidArgument(path + " line " + std::to_string(line_number) +
                                     ": expected id_a,id_b");
    }
    pairs.emplace_back(std::move(fields[0]), std::move(fields[1]));
  }
  return pairs;
}

Evaluation Evaluate(const MatchResult& result, const std::vector<PersonRecord>& index_records,
                    const std::vector<PersonRecord>* query_records, const TruthPairs& truth) {
  const IdIndex ids_a = IndexIds(index_records);
  const IdIndex ids_b = query_records != nullptr ? IndexIds(*query_records) : IdIndex();
  std::unordered_set<PairKey> true_keys;
  std::set<std::pair<std::string, std::string>> unresolved;
  auto find = [](const IdIndex& ids, const std::string& id) {
    const auto it = ids.find(id);
    return it == ids.end() ? -1 : static_cast<std::int64_t>(it->second);
  };
  for (const auto& [x, y] : truth) {
    std::int64_t first = -1;
    std::int64_t second = -1;
    if (query_records == nullptr) {
      first = find(ids_a, x);
      second = find(ids_a, y);
      if (first > second) std::swap(first, second);
    } else {
      first = find(ids_a, x);
      second = find(ids_b, y);
      if (first < 0 || second < 0) {
        first = find(ids_a, y);
        second = find(ids_b, x);
      }
    }
    if (first < 0 || second < 0 || (query_records == nullptr && first == second)) {
      unresolved.insert(x < y ? std::pair(x, y) : std::pair(y, x));
      continue;
    }
    true_keys.insert(
        MakePairKey(static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(second)));
  }
  Evaluation evaluation;
  evaluation.true_pairs = true_keys.size() + unresolved.size();
  for (const ScoredPair& pair : result.pairs()) {
    if (pair.decision != Decision::kLink) continue;
    ++evaluation.predicted_links;
    if (true_keys.contains(MakePairKey(pair.a, pair.b))) ++evaluation.correct_links;
  }
  const std::vector<PairKey>& candidates = result.candidates();
  for (PairKey key : true_keys) {
    if (std::binary_search(candidates.begin(), candidates.end(), key)) {
      ++evaluation.true_pairs_blocked;
    }
  }
  evaluation.precision = Ratio(evaluation.correct_links, evaluation.predicted_links);
  evaluation.recall = Ratio(evaluation.correct_links, evaluation.true_pairs);
  evaluation.f1 = evaluation.precision + evaluation.recall > 0
                      ? 2 * evaluation.precision * evaluation.recall /
                            (evaluation.precision + evaluation.recall)
                      : 0;
  evaluation.pair_completeness = Ratio(evaluation.true_pairs_blocked, evaluation.true_pairs);
  return evaluation;
}

std::string FormatEvaluation(const Evaluation& evaluation, double seconds) {
  char line[256];
  std::snprintf(line, sizeof line,
                "precision=%.4f recall=%.4f f1=%.4f pair_completeness=%.4f seconds=%.3f",
                evaluation.precision, evaluation.recall, evaluation.f1,
                evaluation.pair_completeness, seconds);
  return line;
}

}  // namespace custos::patients
