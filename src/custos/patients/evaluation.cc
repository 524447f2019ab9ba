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
using IdList = std::vector<std::string_view>;

IdIndex IndexIds(const IdList& ids) {
  IdIndex index;
  index.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) index.emplace(ids[i], static_cast<std::uint32_t>(i));
  return index;
}

IdList IdsOf(const std::vector<PersonRecord>& records) {
  IdList ids;
  ids.reserve(records.size());
  for (const PersonRecord& record : records) ids.push_back(record.id);
  return ids;
}

IdList IdsOf(const std::vector<std::string>& strings) {
  return IdList(strings.begin(), strings.end());
}

double Ratio(size_t numerator, size_t denominator) {
  return denominator == 0 ? 0 : static_cast<double>(numerator) / static_cast<double>(denominator);
}

// Union-find with path halving; the root is the smallest index.
struct Components {
  std::vector<std::uint32_t> parent;
  explicit Components(size_t n) : parent(n) {
    for (size_t i = 0; i < n; ++i) parent[i] = static_cast<std::uint32_t>(i);
  }
  std::uint32_t Find(std::uint32_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void Join(std::uint32_t x, std::uint32_t y) {
    x = Find(x);
    y = Find(y);
    if (x != y) parent[std::max(x, y)] = std::min(x, y);
  }
  std::vector<std::uint32_t> Roots() {
    std::vector<std::uint32_t> roots(parent.size());
    for (size_t i = 0; i < parent.size(); ++i) roots[i] = Find(static_cast<std::uint32_t>(i));
    return roots;
  }
};

}  // namespace

std::vector<std::uint32_t> LinkClusters(const MatchResult& result, size_t record_count) {
  Components components(record_count);
  for (const ScoredPair& pair : result.pairs()) {
    if (pair.decision == Decision::kLink && pair.a < record_count && pair.b < record_count) {
      components.Join(pair.a, pair.b);
    }
  }
  return components.Roots();
}

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

namespace {

// `query_records` (ids of the query set) is nullptr for deduplication.
Evaluation EvaluateIds(const MatchResult& result, const IdList& index_records,
                       const IdList* query_records, const TruthPairs& truth) {
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
  const double n_a = static_cast<double>(index_records.size());
  const double possible = query_records != nullptr
                              ? n_a * static_cast<double>(query_records->size())
                              : n_a * (n_a - 1) / 2;
  evaluation.reduction_ratio =
      possible > 0 ? 1 - static_cast<double>(candidates.size()) / possible : 0;
  if (query_records == nullptr && !index_records.empty()) {
    Components truth_components(index_records.size());
    for (PairKey key : true_keys) truth_components.Join(PairFirst(key), PairSecond(key));
    const std::vector<std::uint32_t> truth_roots = truth_components.Roots();
    const std::vector<std::uint32_t> predicted_roots = LinkClusters(result, index_records.size());
    // A predicted cluster is exact when all its members share one true root and that true
    // cluster has the same size.
    std::unordered_map<std::uint32_t, size_t> truth_size;
    std::unordered_map<std::uint32_t, size_t> predicted_size;
    std::unordered_map<std::uint32_t, std::int64_t> predicted_truth;  // -1: mixed
    for (size_t i = 0; i < index_records.size(); ++i) {
      ++truth_size[truth_roots[i]];
      ++predicted_size[predicted_roots[i]];
      const auto [it, inserted] = predicted_truth.emplace(predicted_roots[i], truth_roots[i]);
      if (!inserted && it->second != truth_roots[i]) it->second = -1;
    }
    size_t exact = 0;
    for (const auto& [root, truth_root] : predicted_truth) {
      if (truth_root >= 0 &&
          truth_size[static_cast<std::uint32_t>(truth_root)] == predicted_size[root]) {
        ++exact;
      }
    }
    evaluation.cluster_precision = Ratio(exact, predicted_size.size());
    evaluation.cluster_recall = Ratio(exact, truth_size.size());
  }
  return evaluation;
}

}  // namespace

Evaluation Evaluate(const MatchResult& result, const std::vector<PersonRecord>& index_records,
                    const std::vector<PersonRecord>* query_records, const TruthPairs& truth) {
  const IdList query_ids = query_records != nullptr ? IdsOf(*query_records) : IdList();
  return EvaluateIds(result, IdsOf(index_records), query_records != nullptr ? &query_ids : nullptr,
                     truth);
}

Evaluation Evaluate(const MatchResult& result, const std::vector<std::string>& index_ids,
                    const std::vector<std::string>* query_ids, const TruthPairs& truth) {
  const IdList query = query_ids != nullptr ? IdsOf(*query_ids) : IdList();
  return EvaluateIds(result, IdsOf(index_ids), query_ids != nullptr ? &query : nullptr, truth);
}

std::string FormatEvaluation(const Evaluation& evaluation, double seconds) {
  char line[256];
  std::snprintf(line, sizeof line,
                "precision=%.4f recall=%.4f f1=%.4f pair_completeness=%.4f seconds=%.3f "
                "reduction_ratio=%.6f",
                evaluation.precision, evaluation.recall, evaluation.f1,
                evaluation.pair_completeness, seconds, evaluation.reduction_ratio);
  std::string formatted = line;
  if (evaluation.cluster_precision > 0 || evaluation.cluster_recall > 0) {
    std::snprintf(line, sizeof line, " cluster_precision=%.4f cluster_recall=%.4f",
                  evaluation.cluster_precision, evaluation.cluster_recall);
    formatted += line;
  }
  return formatted;
}

}  // namespace custos::patients
