// Blocking: choosing which record pairs to compare at all. Comparing every pair is quadratic, so
// several cheap passes each group records that share a key (e.g. Soundex of the surname plus
// birth year), and a sorted-neighbourhood pass pairs records whose normalised names sort close
// together. A pair missed by every pass can never be linked, so the passes use different fields:
// an error in one field only hides a pair from the passes that use it.
#pragma once

#include <array>
#include <cstddef>
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
  // Records compared with each following record in the sorted-neighbourhood pass. (A window of 4
  // would save 7M of the 1M run's pairs, but lowers FEBRL2/3 pair completeness without SSN.)
  size_t window = 10;
  // Blocks larger than this are skipped in the passes on identifiers and dates (birth date, SSN,
  // SSN suffix + birth year, phone): a key most records share would add many pairs and little
  // evidence, and the other passes still see their true pairs.
  size_t max_block_size = 1000;
  // The same limit for the passes on names and places (Soundex + birth year, postcode + street
  // number, street number + street, Soundex + suburb, the name Soundexes, given name + suburb).
  // Their blocks grow with the population (dsgen 1M: up to 1,150 records, 57M of 69M pairs) while
  // each finds few true pairs no other pass finds; at 50 the 1M run compares 40M pairs instead of
  // 69M and loses 0.05 % of pair completeness. FEBRL1-4 have no block this large, and dsgen 100k
  // few (pair completeness 0.99860 either way).
  size_t max_name_place_block_size = 50;
};

// The number of key passes (the sorted-neighbourhood pass is separate).
inline constexpr size_t kBlockingPassCount = 10;
using BlockingKeyArray = std::array<std::uint64_t, kBlockingPassCount>;

// The key of every pass for one record, 0 where the pass has none (a part is missing). Keys of
// different passes never collide by construction (the pass is hashed in), so an incremental index
// (patient_index.h) can keep all passes in one hash map and find exactly the blocks batch
// blocking would put the record in.
BlockingKeyArray BlockingKeys(const PreparedRecord& record);

// The largest block pass `pass` (0 … kBlockingPassCount - 1) pairs; larger ones are skipped.
size_t MaxBlockSize(const BlockingOptions& options, size_t pass);

// The sorted-neighbourhood key, "surname given"; empty when both names are missing.
std::string NeighbourhoodKey(const PreparedRecord& record);

// The blocks of every pass over one run's records, from which each record's candidate partners
// are listed on demand. A batch run walks the records in parallel, listing a record's partners and
// comparing them at once, so no list of every candidate pair from every pass (tens of millions,
// most of them repeated by several passes) is ever built. Per pass it keeps each record's block
// and the members of every block of two or more records; blocks over max_block_size are dropped.
class CandidateBlocks {
 public:
  // Deduplication: `second` is empty and pairs lie within `first`. Linkage: pairs join a record of
  // `first` (the index) with one of `second` (the queries).
  CandidateBlocks(std::span<const PreparedRecord> first, std::span<const PreparedRecord> second,
                  bool linkage, const BlockingOptions& options);

  // Replaces `partners` with the candidates of `first`-set record `record`, sorted and without
  // duplicates: in deduplication the records after it, in linkage indexes into the query set.
  void Partners(std::uint32_t record, std::vector<std::uint32_t>& partners) const;

  size_t first_count() const { return first_count_; }

 private:
  static constexpr std::uint32_t kNoBlock = 0xffffffffu;
  struct PassBlocks {
    std::vector<std::uint32_t> block_of;  // per record (both sets), kNoBlock when none
    std::vector<std::uint32_t> starts;    // block b's members are members[starts[b]..starts[b+1])
    std::vector<std::uint32_t> members;   // record numbers, ascending within a block
  };
  void AddNeighbours(std::uint32_t record, std::vector<std::uint32_t>& partners) const;

  std::uint32_t first_count_ = 0;
  bool linkage_ = false;
  size_t window_ = 0;
  std::vector<PassBlocks> passes_;
  // Sorted neighbourhood: records with a name key in key order, and each record's position there.
  std::vector<std::uint32_t> name_order_;
  std::vector<std::uint32_t> name_position_;  // kNoBlock when the record has no key
};

// Candidate pairs within one set, sorted and without duplicates.
std::vector<PairKey> BlockDedupe(std::span<const PreparedRecord> records,
                                 const BlockingOptions& options = {});

// Candidate pairs across two sets (never within one), sorted and without duplicates.
std::vector<PairKey> BlockLink(std::span<const PreparedRecord> index,
                               std::span<const PreparedRecord> query,
                               const BlockingOptions& options = {});

}  // namespace custos::patients
