#include "custos/patients/blocking.h"

#include <algorithm>
#include <string_view>

namespace custos::patients {

namespace {

// Records of the query set carry this bit in their combined index during linkage.
constexpr std::uint32_t kQueryBit = 0x80000000u;
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

// Collects pairs over the combined record list: `count_a` records of the first set, then the
// query set when `linkage`.
class PairCollector {
 public:
  PairCollector(bool linkage, std::vector<PairKey>& pairs) : linkage_(linkage), pairs_(pairs) {}
  void Add(std::uint32_t x, std::uint32_t y) {
    if (linkage_) {
      const bool x_query = (x & kQueryBit) != 0;
      const bool y_query = (y & kQueryBit) != 0;
      if (x_query == y_query) return;
      if (x_query) std::swap(x, y);
      pairs_.push_back(MakePairKey(x, y & ~kQueryBit));
    } else if (x != y) {
      pairs_.push_back(x < y ? MakePairKey(x, y) : MakePairKey(y, x));
    }
  }

 private:
  bool linkage_;
  std::vector<PairKey>& pairs_;
};

std::vector<PairKey> Block(std::span<const PreparedRecord> a, std::span<const PreparedRecord> b,
                           bool linkage, const BlockingOptions& options) {
  std::vector<PairKey> pairs;
  PairCollector collector(linkage, pairs);
  std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed;
  keyed.reserve(a.size() + b.size());
  auto each_record = [&](auto&& visit) {
    for (size_t i = 0; i < a.size(); ++i) visit(a[i], static_cast<std::uint32_t>(i));
    for (size_t i = 0; i < b.size(); ++i) visit(b[i], static_cast<std::uint32_t>(i) | kQueryBit);
  };
  for (std::uint64_t pass = 0; pass < kPassCount; ++pass) {
    keyed.clear();
    each_record([&](const PreparedRecord& record, std::uint32_t index) {
      const std::uint64_t key = BlockKey(static_cast<Pass>(pass), record);
      if (key != 0) keyed.emplace_back(key, index);
    });
    std::sort(keyed.begin(), keyed.end());
    for (size_t begin = 0; begin < keyed.size();) {
      size_t end = begin + 1;
      while (end < keyed.size() && keyed[end].first == keyed[begin].first) ++end;
      if (end - begin <= options.max_block_size) {
        for (size_t i = begin; i < end; ++i) {
          for (size_t j = i + 1; j < end; ++j) collector.Add(keyed[i].second, keyed[j].second);
        }
      }
      begin = end;
    }
  }
  // Sorted neighbourhood on "surname given" catches the name typos the key passes split apart.
  std::vector<std::pair<std::string_view, std::uint32_t>> names;
  std::vector<std::string> name_keys;
  name_keys.reserve(a.size() + b.size());
  each_record([&](const PreparedRecord& record, std::uint32_t index) {
    if (record.surname.empty() && record.given_name.empty()) return;
    name_keys.push_back(record.surname + ' ' + record.given_name);
    names.emplace_back(std::string_view(), index);
  });
  for (size_t i = 0; i < names.size(); ++i) names[i].first = name_keys[i];
  std::sort(names.begin(), names.end());
  for (size_t i = 0; i < names.size(); ++i) {
    for (size_t j = i + 1; j < names.size() && j < i + options.window; ++j) {
      collector.Add(names[i].second, names[j].second);
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  return pairs;
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

std::string NeighbourhoodKey(const PreparedRecord& record) {
  if (record.surname.empty() && record.given_name.empty()) return {};
  return record.surname + ' ' + record.given_name;
}

std::vector<PairKey> BlockDedupe(std::span<const PreparedRecord> records,
                                 const BlockingOptions& options) {
  return Block(records, {}, false, options);
}

std::vector<PairKey> BlockLink(std::span<const PreparedRecord> index,
                               std::span<const PreparedRecord> query,
                               const BlockingOptions& options) {
  return Block(index, query, true, options);
}

}  // namespace custos::patients
