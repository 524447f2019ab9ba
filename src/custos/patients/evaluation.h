// Measuring the matching engine against known true pairs (FEBRL and similar labelled sets):
// pairwise precision, recall, F1 and the pair completeness of blocking.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "custos/core/status.h"
#include "custos/patients/matcher.h"

namespace custos::patients {

// Unordered pairs of record ids that are the same person.
using TruthPairs = std::vector<std::pair<std::string, std::string>>;

// Reads `id_a,id_b` rows after a header row. kNotFound when unreadable; kInvalidArgument naming
// file and line for a row without two ids.
Result<TruthPairs> ReadTruthPairs(const std::string& path);

struct Evaluation {
  size_t true_pairs = 0;          // distinct truth pairs
  size_t predicted_links = 0;     // pairs decided `link`
  size_t correct_links = 0;       // of those, true pairs
  size_t true_pairs_blocked = 0;  // true pairs among the blocked candidates
  double precision = 0;
  double recall = 0;
  double f1 = 0;
  double pair_completeness = 0;  // true_pairs_blocked / true_pairs
  double reduction_ratio = 0;    // 1 - candidate pairs / possible pairs
  // Connected components of `link` decisions against those of the true pairs (deduplication
  // only): the share of predicted clusters that are exactly a true cluster, and of true clusters
  // found exactly. Singletons count.
  double cluster_precision = 0;
  double cluster_recall = 0;
};

// Cluster id (the smallest record index in the cluster) of every record: connected components of
// the `link` pairs. Deduplication only.
std::vector<std::uint32_t> LinkClusters(const MatchResult& result, size_t record_count);

// Counts `link` decisions as predicted matches. `index_records` and `query_records` are the
// records the result was computed from (`query_records` nullptr for deduplication). Truth pairs
// naming unknown ids count as missed.
Evaluation Evaluate(const MatchResult& result, const std::vector<PersonRecord>& index_records,
                    const std::vector<PersonRecord>* query_records, const TruthPairs& truth);

// The same with only the records' ids (ReadPreparedCsv keeps no more).
Evaluation Evaluate(const MatchResult& result, const std::vector<std::string>& index_ids,
                    const std::vector<std::string>* query_ids, const TruthPairs& truth);

// "precision=… recall=… f1=… pair_completeness=… seconds=… reduction_ratio=…" and, when
// computed, "cluster_precision=… cluster_recall=…"
std::string FormatEvaluation(const Evaluation& evaluation, double seconds);

}  // namespace custos::patients
