// Blocking: choosing which record pairs to compare at all. Comparing every pair is quadratic, so
// several cheap passes each group records that share a key (e.g. Soundex of the surname plus
// birth year), and a sorted-neighbourhood pass pairs records whose normalised names sort close
// together. A pair missed by every pass can never be linked, so the passes use different fields:
// an error in one field only hides a pair from the passes that use it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "custos/patients/comparison.h"

namespace custos::patients {

// A candidate pair as one integer: (first index << 32) | second index. In deduplication both
// index the same records and first < second; in linkage first indexes the index set and second
// the query set.
using PairKey = std::uint64_t;
inline PairKey MakePairKey(std::uint32_t first, std::uint32_t second) {
  return (static_cast<PairKey>(first) << 32) | second;
}
inline std::uint32_t PairFirst(PairKey key) { return static_cast<std::uint32_t>(key >> 32); }
inline std::uint32_t PairSecond(PairKey key) { return static_cast<std::uint32_t>(key); }

struct BlockingOptions {
  // Records compared with each following record in the sorted-neighbourhood pass.
  size_t window = 10;
  // Blocks larger than this (a key most records share) are skipped: they would add many pairs
  // and little evidence, and the other passes still see their true pairs.
  size_t max_block_size = 1000;
};

// The number of key passes (the sorted-neighbourhood pass is separate).
inline constexpr size_t kBlockingPassCount = 10;
using BlockingKeyArray = std::array<std::uint64_t, kBlockingPassCount>;

// The key of every pass for one record, 0 where the pass has none (a part is missing). Keys of
// different passes never collide by construction (the pass is hashed in), so an incremental index
// (patient_index.h) can keep all passes in one hash map and find exactly the blocks batch
// blocking would put the record in.
BlockingKeyArray BlockingKeys(const PreparedRecord& record);

// The sorted-neighbourhood key, "surname given"; empty when both names are missing.
std::string NeighbourhoodKey(const PreparedRecord& record);

// Candidate pairs within one set, sorted and without duplicates.
std::vector<PairKey> BlockDedupe(std::span<const PreparedRecord> records,
                                 const BlockingOptions& options = {});

// Candidate pairs across two sets (never within one), sorted and without duplicates.
std::vector<PairKey> BlockLink(std::span<const PreparedRecord> index,
                               std::span<const PreparedRecord> query,
                               const BlockingOptions& options = {});

}  // namespace custos::patients
