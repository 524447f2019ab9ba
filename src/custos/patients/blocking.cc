#include "custos/patients/blocking.h"

#include <algorithm>
#include <string_view>

#include "custos/patients/parallel.h"

namespace custos::patients {

namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;
constexpr std::uint64_t kFnvPrime = 1099511628211ull;
constexpr size_t kYearDigits = 4;
constexpr size_t kSsnSuffix = 4;
constexpr size_t kCompactPrefixMax = 16;
constexpr size_t kPlacePrefix = 5;

// FNV-1a over the parts of a blocking key; 0 means "no key" (a part was missing).
class KeyHash {
 public:
  explicit KeyHash(std::uint64_t pass) {
    Add(std::string_view(reinterpret_cast<const char*>(&pass), sizeof pass));
  }
  KeyHash& Add(std::string_view part) {
    if (part.empty()) missing_ = true;
    for (char c : part) {
      hash_ ^= static_cast<unsigned char>(c);
      hash_ *= kFnvPrime;
    }
    hash_ ^= 0xff;  // separator, so ("ab","c") and ("a","bc") differ
    hash_ *= kFnvPrime;
    return *this;
  }
  // The first `length` characters of `text` other than spaces ("pridham street" and
  // "pridhamstreet" share a key); missing when `text` is shorter.
  KeyHash& AddCompactPrefix(std::string_view text, size_t length) {
    char buffer[kCompactPrefixMax];
    size_t used = 0;
    for (char c : text) {
      if (used == length || used == kCompactPrefixMax) break;
      if (c != ' ') buffer[used++] = c;
    }
    return Add(used == length ? std::string_view(buffer, used) : std::string_view());
  }
  std::uint64_t Value() const { return missing_ || hash_ == 0 ? 0 : hash_; }

 private:
  std::uint64_t hash_ = kFnvOffset;
  bool missing_ = false;
};

std::string_view Prefix(std::string_view text, size_t length) {
  return text.size() >= length ? text.substr(0, length) : std::string_view();
}
std::string_view Suffix(std::string_view text, size_t length) {
  return text.size() >= length ? text.substr(text.size() - length) : std::string_view();
}
std::string_view Code(const SoundexCode& code) {
  return code[0] == '0' ? std::string_view() : std::string_view(code.data(), code.size());
}

enum Pass : std::uint64_t {
  kSurnameSoundexBirthYear,
  kBirthDate,
  kSsn,
  kSsnSuffixBirthYear,
  kPostcodeStreetNumber,
  kStreetNumberStreet,
  kSurnameSoundexSuburb,
  kPhone,
  kNameSoundexEitherOrder,
  kGivenNameSuburb,
  kPassCount,
};

std::uint64_t BlockKey(Pass pass, const PreparedRecord& r) {
  const std::string_view dob = r.date_of_birth.digits;
  KeyHash key(pass);
  switch (pass) {
    case kSurnameSoundexBirthYear:
      return key.Add(Code(r.surname_soundex)).Add(Prefix(dob, kYearDigits)).Value();
    case kBirthDate:
      return key.Add(dob).Value();
    case kSsn:
      return key.Add(r.ssn).Value();
    case kSsnSuffixBirthYear:
      return key.Add(Suffix(r.ssn, kSsnSuffix)).Add(Prefix(dob, kYearDigits)).Value();
    case kPostcodeStreetNumber:
      return key.Add(r.postcode).Add(r.street_number).Value();
    case kStreetNumberStreet:
      return key.Add(r.street_number).AddCompactPrefix(r.street, kPlacePrefix).Value();
    case kSurnameSoundexSuburb:
      return key.Add(Code(r.surname_soundex)).AddCompactPrefix(r.suburb, kPlacePrefix).Value();
    case kPhone:
      return key.Add(r.phone).Value();
    case kNameSoundexEitherOrder: {
      std::string_view first = Code(r.given_soundex);
      std::string_view second = Code(r.surname_soundex);
      if (second < first) std::swap(first, second);
      return key.Add(first).Add(second).Value();
    }
    case kGivenNameSuburb:
      return key.Add(r.given_name).AddCompactPrefix(r.suburb, kPlacePrefix).Value();
    case kPassCount:
      break;
  }
  return 0;
}

std::string_view NameKey(const PreparedRecord& record, std::string& buffer) {
  buffer.clear();
  if (record.surname.empty() && record.given_name.empty()) return {};
  buffer.append(record.surname).append(1, ' ').append(record.given_name);
  return buffer;
}

}  // namespace

BlockingKeyArray BlockingKeys(const PreparedRecord& record) {
  static_assert(kBlockingPassCount == kPassCount);
  BlockingKeyArray keys{};
  for (size_t pass = 0; pass < kPassCount; ++pass) {
    keys[pass] = BlockKey(static_cast<Pass>(pass), record);
  }
  return keys;
}

size_t MaxBlockSize(const BlockingOptions& options, size_t pass) {
  switch (static_cast<Pass>(pass)) {
    case kBirthDate:
    case kSsn:
    case kSsnSuffixBirthYear:
    case kPhone:
      return options.max_block_size;
    default:
      return options.max_name_place_block_size;
  }
}

std::string NeighbourhoodKey(const PreparedRecord& record) {
  if (record.surname.empty() && record.given_name.empty()) return {};
  return record.surname + ' ' + record.given_name;
}

CandidateBlocks::CandidateBlocks(std::span<const PreparedRecord> first,
                                 std::span<const PreparedRecord> second, bool linkage,
                                 const BlockingOptions& options)
    : first_count_(static_cast<std::uint32_t>(first.size())),
      linkage_(linkage),
      window_(options.window),
      passes_(kPassCount) {
  // Record numbers run over both sets: the first set, then the second.
  const size_t total = first.size() + second.size();
  auto record_at = [&](size_t number) -> const PreparedRecord& {
    return number < first.size() ? first[number] : second[number - first.size()];
  };
  // One task per pass plus the sorted neighbourhood, shared between the threads.
  internal::ForEachChunk(kPassCount + 1, 1, [&](size_t task, size_t, size_t) {
    if (task == kPassCount) {
      // Name keys live in one buffer; sorting record numbers by them orders the neighbourhood.
      std::string text;
      std::vector<std::uint32_t> offsets(total + 1, 0);
      std::string buffer;
      for (size_t n = 0; n < total; ++n) {
        text.append(NameKey(record_at(n), buffer));
        offsets[n + 1] = static_cast<std::uint32_t>(text.size());
      }
      auto key = [&](std::uint32_t n) {
        return std::string_view(text).substr(offsets[n], offsets[n + 1] - offsets[n]);
      };
      name_order_.clear();
      for (size_t n = 0; n < total; ++n) {
        if (offsets[n + 1] > offsets[n]) name_order_.push_back(static_cast<std::uint32_t>(n));
      }
      std::sort(name_order_.begin(), name_order_.end(), [&](std::uint32_t x, std::uint32_t y) {
        const int order = key(x).compare(key(y));
        return order != 0 ? order < 0 : x < y;
      });
      name_position_.assign(total, kNoBlock);
      for (size_t p = 0; p < name_order_.size(); ++p) {
        name_position_[name_order_[p]] = static_cast<std::uint32_t>(p);
      }
      return;
    }
    PassBlocks& blocks = passes_[task];
    std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed;
    keyed.reserve(total);
    for (size_t n = 0; n < total; ++n) {
      const std::uint64_t key = BlockKey(static_cast<Pass>(task), record_at(n));
      if (key != 0) keyed.emplace_back(key, static_cast<std::uint32_t>(n));
    }
    std::sort(keyed.begin(), keyed.end());
    blocks.block_of.assign(total, kNoBlock);
    blocks.starts.push_back(0);
    for (size_t begin = 0; begin < keyed.size();) {
      size_t end = begin + 1;
      while (end < keyed.size() && keyed[end].first == keyed[begin].first) ++end;
      // A block of one pairs nothing; one over the limit would add many pairs and little evidence.
      if (end - begin >= 2 && end - begin <= MaxBlockSize(options, task)) {
        const auto block = static_cast<std::uint32_t>(blocks.starts.size() - 1);
        for (size_t i = begin; i < end; ++i) {
          blocks.block_of[keyed[i].second] = block;
          blocks.members.push_back(keyed[i].second);
        }
        blocks.starts.push_back(static_cast<std::uint32_t>(blocks.members.size()));
      }
      begin = end;
    }
    blocks.members.shrink_to_fit();
    blocks.starts.shrink_to_fit();
  });
}

void CandidateBlocks::AddNeighbours(std::uint32_t record,
                                    std::vector<std::uint32_t>& partners) const {
  const std::uint32_t position = name_position_[record];
  if (position == kNoBlock || window_ < 2) return;
  // The pairs the classic pass makes: records fewer than `window` places apart.
  const size_t reach = window_ - 1;
  const size_t from = position > reach ? position - reach : 0;
  const size_t to = std::min(name_order_.size(), position + reach + 1);
  for (size_t p = from; p < to; ++p) {
    const std::uint32_t other = name_order_[p];
    if (linkage_) {
      if (other >= first_count_) partners.push_back(other - first_count_);
    } else if (other > record) {
      partners.push_back(other);
    }
  }
}

void CandidateBlocks::Partners(std::uint32_t record, std::vector<std::uint32_t>& partners) const {
  partners.clear();
  for (const PassBlocks& blocks : passes_) {
    const std::uint32_t block = blocks.block_of[record];
    if (block == kNoBlock) continue;
    const auto begin = blocks.members.begin() + blocks.starts[block];
    const auto end = blocks.members.begin() + blocks.starts[block + 1];
    // Members ascend: the later records (deduplication) or the query records (linkage, numbered
    // after the index) are a suffix of the block.
    const std::uint32_t after = linkage_ ? first_count_ : record + 1;
    for (auto it = std::lower_bound(begin, end, after); it != end; ++it) {
      partners.push_back(linkage_ ? *it - first_count_ : *it);
    }
  }
  AddNeighbours(record, partners);
  std::sort(partners.begin(), partners.end());
  partners.erase(std::unique(partners.begin(), partners.end()), partners.end());
}

namespace {

std::vector<PairKey> AllPairs(const CandidateBlocks& blocks) {
  std::vector<PairKey> pairs;
  std::vector<std::uint32_t> partners;
  for (std::uint32_t record = 0; record < blocks.first_count(); ++record) {
    blocks.Partners(record, partners);
    for (std::uint32_t partner : partners) pairs.push_back(MakePairKey(record, partner));
  }
  return pairs;
}

}  // namespace

std::vector<PairKey> BlockDedupe(std::span<const PreparedRecord> records,
                                 const BlockingOptions& options) {
  return AllPairs(CandidateBlocks(records, {}, false, options));
}

std::vector<PairKey> BlockLink(std::span<const PreparedRecord> index,
                               std::span<const PreparedRecord> query,
                               const BlockingOptions& options) {
  return AllPairs(CandidateBlocks(index, query, true, options));
}

}  // namespace custos::patients
