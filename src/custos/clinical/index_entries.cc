// Index entries follow the FHIR R4 search rules (https://hl7.org/fhir/R4/search.html) for each
// parameter type, deciding what a value is by its FHIR type when FHIRPath knows it (choice
// elements) and otherwise by its JSON shape:
//   token      Coding system|code; CodeableConcept each coding; Identifier system|value;
//              ContactPoint value (its system is phone/email/…, not a code system); primitives
//              (code, id, string, uri, boolean) as the code.
//   string     primitives; HumanName family/given/prefix/suffix/text; Address line/city/district/
//              state/postalCode/country/text — one entry per part.
//   date       date, dateTime, instant as the interval their precision covers; Period start..end
//              with open ends; Timing each event. Timezone-less times are UTC.
//   reference  Reference.reference and canonical strings: "Type/id", ".../Type/id[/_history/v]";
//              urn:uuid: and #contained references keep only the url.
//   quantity   Quantity and its profiles (Age, Duration, …) and Money (currency as ISO 4217 code).
//   number     JSON numbers.   uri   uri, url and canonical strings.
// Values of a shape the parameter type cannot use (a Range for a quantity, SampledData) are
// skipped: they are data the search cannot match, not errors.
#include "custos/clinical/index_entries.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "custos/clinical/fhirpath.h"

namespace custos::clinical {
namespace {

// ---- Compiled expressions ------------------------------------------------------------------

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>{}(text);
  }
};

// Bounds the per-thread caches; the specification has a few hundred expressions per version.
constexpr std::size_t kMaxCachedPaths = 4096;
constexpr std::size_t kMaxCachedLists = 256;

// Compiled expressions, per thread. `by_list` remembers, for a parameter list seen before (the
// long-lived lists of Definitions), the compiled path of each entry, so the common case costs a
// string comparison per parameter instead of a hash lookup; a changed expression falls back to
// `by_expression`.
class PathCache {
 public:
  // The compiled paths of `parameters`, in order (null for composite and special parameters and
  // empty expressions). Valid until the next call on the same thread.
  Result<const std::vector<const FhirPath*>*> PathsOf(
      const std::vector<SearchParameterDef>& parameters) {
    if (by_list_.size() >= kMaxCachedLists) by_list_.clear();
    std::vector<Slot>& slots = by_list_[&parameters];
    slots.resize(parameters.size());
    paths_.resize(parameters.size());
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      const SearchParameterDef& parameter = parameters[i];
      Slot& slot = slots[i];
      if (parameter.type == SearchParamType::kComposite ||
          parameter.type == SearchParamType::kSpecial || parameter.expression.empty()) {
        paths_[i] = nullptr;
        continue;
      }
      if (slot.path == nullptr || slot.expression != parameter.expression) {
        CUSTOS_ASSIGN_OR_RETURN(slot.path, Compiled(parameter.expression));
        slot.expression = parameter.expression;
      }
      paths_[i] = slot.path;
    }
    return &paths_;
  }

 private:
  struct Slot {
    std::string expression;
    const FhirPath* path = nullptr;
  };

  Result<const FhirPath*> Compiled(const std::string& expression) {
    auto it = by_expression_.find(expression);
    if (it != by_expression_.end()) return &it->second;
    CUSTOS_ASSIGN_OR_RETURN(FhirPath path, FhirPath::Compile(expression));
    if (by_expression_.size() >= kMaxCachedPaths) {
      by_expression_.clear();
      by_list_.clear();  // its slots point into by_expression_
    }
    return &by_expression_.emplace(expression, std::move(path)).first->second;
  }

  std::unordered_map<std::string, FhirPath, StringHash, std::equal_to<>> by_expression_;
  std::unordered_map<const void*, std::vector<Slot>> by_list_;
  std::vector<const FhirPath*> paths_;
};

// ---- JSON helpers --------------------------------------------------------------------------

// The string member `name` of an object; nullopt when absent or not a string.
std::optional<std::string_view> StringField(const JsonValue& object, std::string_view name) {
  const JsonValue field = object.find(name);
  if (!field.is_string()) return std::nullopt;
  return field.string();
}

std::string StringOrEmpty(const std::optional<std::string_view>& text) {
  return text ? std::string(*text) : std::string();
}

// ---- Dates ---------------------------------------------------------------------------------

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;
constexpr std::int64_t kOpenLow = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kOpenHigh = std::numeric_limits<std::int64_t>::max();

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t DaysFromCivil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

unsigned DaysInMonth(int year, unsigned month) {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Reads exactly `digits` decimal digits at `text[*pos]`.
bool ReadDigits(std::string_view text, std::size_t* pos, std::size_t digits, int* value) {
  if (*pos + digits > text.size()) return false;
  int result = 0;
  for (std::size_t i = 0; i < digits; ++i) {
    char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    result = result * 10 + (c - '0');
  }
  *pos += digits;
  *value = result;
  return true;
}

struct Interval {
  std::int64_t low = 0;
  std::int64_t high = 0;
};

// date, dateTime or instant → the interval its precision covers: "2026" is the whole year,
// "2026-11-05T10:00:00+01:00" one second from 09:00:00Z.
std::optional<Interval> ParseFhirDate(std::string_view text) {
  std::size_t pos = 0;
  int year = 0;
  int month = 1;
  int day = 1;
  if (!ReadDigits(text, &pos, 4, &year)) return std::nullopt;
  if (pos == text.size()) {
    return Interval{DaysFromCivil(year, 1, 1) * kSecondsPerDay * kMicrosPerSecond,
                    DaysFromCivil(year + 1, 1, 1) * kSecondsPerDay * kMicrosPerSecond};
  }
  if (text[pos++] != '-' || !ReadDigits(text, &pos, 2, &month) || month < 1 || month > 12)
    return std::nullopt;
  if (pos == text.size()) {
    int next_year = month == 12 ? year + 1 : year;
    unsigned next_month = month == 12 ? 1 : month + 1;
    return Interval{DaysFromCivil(year, month, 1) * kSecondsPerDay * kMicrosPerSecond,
                    DaysFromCivil(next_year, next_month, 1) * kSecondsPerDay * kMicrosPerSecond};
  }
  if (text[pos++] != '-' || !ReadDigits(text, &pos, 2, &day) || day < 1 ||
      static_cast<unsigned>(day) > DaysInMonth(year, month)) {
    return std::nullopt;
  }
  const std::int64_t day_start =
      DaysFromCivil(year, month, day) * kSecondsPerDay * kMicrosPerSecond;
  if (pos == text.size()) return Interval{day_start, day_start + kSecondsPerDay * kMicrosPerSecond};

  int hour = 0;
  int minute = 0;
  int second = 0;
  if (text[pos++] != 'T' || !ReadDigits(text, &pos, 2, &hour) || hour > 23) return std::nullopt;
  if (pos >= text.size() || text[pos++] != ':' || !ReadDigits(text, &pos, 2, &minute) ||
      minute > 59) {
    return std::nullopt;
  }
  std::int64_t width = 60 * kMicrosPerSecond;  // a time without seconds covers its minute
  std::int64_t fraction = 0;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    if (!ReadDigits(text, &pos, 2, &second) || second > 60) return std::nullopt;
    width = kMicrosPerSecond;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      std::size_t digits = 0;
      std::int64_t scale = kMicrosPerSecond;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (scale > 1) {
          scale /= 10;
          fraction += (text[pos] - '0') * scale;
        }
        ++digits;
        ++pos;
      }
      if (digits == 0) return std::nullopt;
      width = scale;
    }
  }
  std::int64_t offset_seconds = 0;
  if (pos < text.size()) {
    char zone = text[pos++];
    if (zone == 'Z') {
      if (pos != text.size()) return std::nullopt;
    } else if (zone == '+' || zone == '-') {
      int offset_hours = 0;
      int offset_minutes = 0;
      if (!ReadDigits(text, &pos, 2, &offset_hours) || pos >= text.size() || text[pos++] != ':' ||
          !ReadDigits(text, &pos, 2, &offset_minutes) || pos != text.size() || offset_hours > 14 ||
          offset_minutes > 59) {
        return std::nullopt;
      }
      offset_seconds = (offset_hours * 3600 + offset_minutes * 60) * (zone == '-' ? -1 : 1);
    } else {
      return std::nullopt;
    }
  }
  const std::int64_t low =
      day_start + ((hour * 3600 + minute * 60 + second) - offset_seconds) * kMicrosPerSecond +
      fraction;
  return Interval{low, low + width};
}

// ---- Per-type extraction -------------------------------------------------------------------

// ContactPoint.system codes (http://hl7.org/fhir/R4/valueset-contact-point-system.html): an
// object with one of these as `system` is a ContactPoint, not an Identifier.
bool IsContactPointSystem(std::string_view system) {
  static constexpr std::array<std::string_view, 7> kSystems = {"phone", "fax", "email", "pager",
                                                               "url",   "sms", "other"};
  for (std::string_view known : kSystems) {
    if (known == system) return true;
  }
  return false;
}

void AddToken(const std::string& param, const std::optional<std::string_view>& system,
              const std::optional<std::string_view>& code, IndexEntries* out) {
  if (!code || code->empty()) return;
  out->tokens.push_back(TokenEntry{param, StringOrEmpty(system), std::string(*code)});
}

void ExtractToken(const std::string& param, const PathValue& value, IndexEntries* out) {
  const JsonValue& json = value.value;
  switch (json.kind()) {
    case JsonKind::kString:
      AddToken(param, std::nullopt, json.string(), out);
      return;
    case JsonKind::kBool:
      out->tokens.push_back(TokenEntry{param, {}, json.boolean() ? "true" : "false"});
      return;
    case JsonKind::kNumber:
      if (json.is_integer()) out->tokens.push_back(TokenEntry{param, {}, std::string(json.raw())});
      return;
    case JsonKind::kObject:
      break;
    default:
      return;
  }
  if (const JsonValue coding = json.find("coding"); coding.is_array()) {  // CodeableConcept
    for (const JsonValue each : coding.children()) {
      if (each.is_object())
        AddToken(param, StringField(each, "system"), StringField(each, "code"), out);
    }
    return;
  }
  if (const auto code = StringField(json, "code")) {  // Coding
    AddToken(param, StringField(json, "system"), code, out);
    return;
  }
  if (const auto identifier_value = StringField(json, "value")) {
    const auto system = StringField(json, "system");
    bool contact_point = value.type == "ContactPoint" || (system && IsContactPointSystem(*system));
    AddToken(param, contact_point ? std::nullopt : system, identifier_value, out);
  }
}

void AddString(const std::string& param, const JsonValue& json, IndexEntries* out) {
  if (!json.is_string()) return;
  const std::string_view text = json.string();
  if (text.empty()) return;
  out->strings.push_back(StringEntry{param, NormalizeForSearch(text), std::string(text)});
}

// The parts of a HumanName or an Address a string search matches.
bool IsStringPart(std::string_view key) {
  static constexpr std::array<std::string_view, 11> kParts = {
      "city",       "country", "district", "family", "given", "line",
      "postalCode", "prefix",  "state",    "suffix", "text"};
  for (std::string_view part : kParts) {
    if (part == key) return true;
  }
  return false;
}

void ExtractString(const std::string& param, const PathValue& value, IndexEntries* out) {
  const JsonValue& json = value.value;
  if (json.is_string()) {
    AddString(param, json, out);
    return;
  }
  if (!json.is_object()) return;
  for (const JsonValue field : json.children()) {
    if (!IsStringPart(field.key())) continue;
    if (field.is_array()) {
      for (const JsonValue each : field.children()) AddString(param, each, out);
    } else {
      AddString(param, field, out);
    }
  }
}

void AddDate(const std::string& param, const JsonValue& json, IndexEntries* out) {
  if (!json.is_string()) return;
  if (std::optional<Interval> interval = ParseFhirDate(json.string())) {
    out->dates.push_back(DateEntry{param, interval->low, interval->high});
  }
}

void ExtractDate(const std::string& param, const PathValue& value, IndexEntries* out) {
  const JsonValue& json = value.value;
  if (json.is_string()) {
    AddDate(param, json, out);
    return;
  }
  if (!json.is_object()) return;
  const auto start = StringField(json, "start");
  const auto end = StringField(json, "end");
  if (start || end) {  // Period
    std::optional<Interval> from = start ? ParseFhirDate(*start) : std::nullopt;
    std::optional<Interval> to = end ? ParseFhirDate(*end) : std::nullopt;
    if ((start && !from) || (end && !to)) return;
    out->dates.push_back(DateEntry{param, from ? from->low : kOpenLow, to ? to->high : kOpenHigh});
    return;
  }
  if (const JsonValue events = json.find("event"); events.is_array()) {  // Timing
    for (const JsonValue event : events.children()) AddDate(param, event, out);
  }
}

bool IsFhirId(std::string_view id) {
  constexpr std::size_t kMaxIdLength = 64;
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

bool IsResourceTypeName(std::string_view type) {
  if (type.empty() || !std::isupper(static_cast<unsigned char>(type[0]))) return false;
  for (char c : type) {
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

void AddReference(const std::string& param, std::string_view url, IndexEntries* out) {
  if (url.empty()) return;
  ReferenceEntry entry{param, {}, {}, std::string(url)};
  std::string_view text = url;
  if (!text.starts_with("urn:") && !text.starts_with("#")) {
    text = text.substr(0, text.find('|'));   // canonical version
    std::array<std::string_view, 4> last{};  // the last path segments, last[0] the final one
    std::size_t count = 0;
    while (!text.empty() && count < last.size()) {
      std::size_t slash = text.rfind('/');
      last[count++] = slash == std::string_view::npos ? text : text.substr(slash + 1);
      text = slash == std::string_view::npos ? std::string_view() : text.substr(0, slash);
    }
    std::size_t id_at = count >= 4 && last[1] == "_history" ? 2 : 0;
    if (count >= id_at + 2 && IsResourceTypeName(last[id_at + 1]) && IsFhirId(last[id_at])) {
      entry.target_type = std::string(last[id_at + 1]);
      entry.target_id = std::string(last[id_at]);
    }
  }
  out->references.push_back(std::move(entry));
}

void ExtractReference(const std::string& param, const PathValue& value, IndexEntries* out) {
  const JsonValue& json = value.value;
  if (json.is_string()) {
    AddReference(param, json.string(), out);
  } else if (json.is_object()) {
    if (const auto reference = StringField(json, "reference")) AddReference(param, *reference, out);
  }
}

void ExtractQuantity(const std::string& param, const PathValue& value, IndexEntries* out) {
  const JsonValue& json = value.value;
  if (!json.is_object() || value.type == "SampledData" || value.type == "Range") return;
  const JsonValue number = json.find("value");
  if (!number.is_number()) return;
  QuantityEntry entry{param, number.number(), {}, {}, StringOrEmpty(StringField(json, "unit"))};
  if (const auto currency = StringField(json, "currency")) {  // Money
    entry.system = "urn:iso:std:iso:4217";
    entry.code = *currency;
  } else {
    entry.system = StringOrEmpty(StringField(json, "system"));
    entry.code = StringOrEmpty(StringField(json, "code"));
  }
  out->quantities.push_back(std::move(entry));
}

void ExtractNumber(const std::string& param, const PathValue& value, IndexEntries* out) {
  if (value.value.is_number()) out->numbers.push_back(NumberEntry{param, value.value.number()});
}

void ExtractUri(const std::string& param, const PathValue& value, IndexEntries* out) {
  if (value.value.is_string() && !value.value.string().empty()) {
    out->uris.push_back(UriEntry{param, std::string(value.value.string())});
  }
}

// Drops entries after `from` that repeat an earlier one of the same parameter (a given name in
// two HumanNames, a code in two codings of one concept).
template <typename Entry, typename Same>
void DropRepeats(std::vector<Entry>& entries, std::size_t from, Same same) {
  std::size_t kept = from;
  for (std::size_t i = from; i < entries.size(); ++i) {
    bool repeated = false;
    for (std::size_t j = from; j < kept && !repeated; ++j) repeated = same(entries[j], entries[i]);
    if (!repeated) {
      if (kept != i) entries[kept] = std::move(entries[i]);
      ++kept;
    }
  }
  entries.resize(kept);
}

// ---- Normalisation -------------------------------------------------------------------------

// Latin-1 Supplement U+00C0..U+00FF folded to ASCII; "" marks a separator (× and ÷).
constexpr std::array<std::string_view, 64> kLatin1Letters = {
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",   // C0..CF
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "ss",  // D0..DF
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",   // E0..EF
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y",   // F0..FF
};

// Latin Extended-A U+0100..U+017F folded to ASCII, as runs of code points sharing a letter.
struct FoldRun {
  int count;
  std::string_view letters;
};
constexpr std::array kLatinExtendedARuns = {
    FoldRun{6, "a"},  FoldRun{8, "c"},  FoldRun{4, "d"},  FoldRun{10, "e"}, FoldRun{8, "g"},
    FoldRun{4, "h"},  FoldRun{10, "i"}, FoldRun{2, "ij"}, FoldRun{2, "j"},  FoldRun{3, "k"},
    FoldRun{10, "l"}, FoldRun{9, "n"},  FoldRun{6, "o"},  FoldRun{2, "oe"}, FoldRun{6, "r"},
    FoldRun{8, "s"},  FoldRun{6, "t"},  FoldRun{12, "u"}, FoldRun{2, "w"},  FoldRun{3, "y"},
    FoldRun{6, "z"},  FoldRun{1, "s"},
};
constexpr int kLatinExtendedACount = 128;

constexpr std::array<std::string_view, kLatinExtendedACount> BuildLatinExtendedA() {
  std::array<std::string_view, kLatinExtendedACount> table{};
  int next = 0;
  for (const FoldRun& run : kLatinExtendedARuns) {
    for (int i = 0; i < run.count; ++i) table[next++] = run.letters;
  }
  return table;
}
constexpr std::array<std::string_view, kLatinExtendedACount> kLatinExtendedALetters =
    BuildLatinExtendedA();
static_assert([] {
  int total = 0;
  for (const FoldRun& run : kLatinExtendedARuns) total += run.count;
  return total == kLatinExtendedACount;
}());

// Decodes one UTF-8 code point at text[*pos]; an invalid byte decodes as U+FFFD.
char32_t DecodeUtf8(std::string_view text, std::size_t* pos) {
  constexpr char32_t kReplacement = 0xFFFD;
  auto byte = static_cast<unsigned char>(text[*pos]);
  std::size_t length = 0;
  char32_t code_point = 0;
  if (byte < 0x80) {
    ++*pos;
    return byte;
  }
  if ((byte & 0xE0) == 0xC0) {
    length = 2;
    code_point = byte & 0x1F;
  } else if ((byte & 0xF0) == 0xE0) {
    length = 3;
    code_point = byte & 0x0F;
  } else if ((byte & 0xF8) == 0xF0) {
    length = 4;
    code_point = byte & 0x07;
  } else {
    ++*pos;
    return kReplacement;
  }
  if (*pos + length > text.size()) {
    ++*pos;
    return kReplacement;
  }
  for (std::size_t i = 1; i < length; ++i) {
    auto continuation = static_cast<unsigned char>(text[*pos + i]);
    if ((continuation & 0xC0) != 0x80) {
      ++*pos;
      return kReplacement;
    }
    code_point = (code_point << 6) | (continuation & 0x3F);
  }
  *pos += length;
  return code_point;
}

// Encodes a code point as UTF-8 into `out` (at least 4 bytes); returns the length.
std::size_t EncodeUtf8(char32_t code_point, char* out) {
  if (code_point < 0x80) {
    out[0] = static_cast<char>(code_point);
    return 1;
  }
  if (code_point < 0x800) {
    out[0] = static_cast<char>(0xC0 | (code_point >> 6));
    out[1] = static_cast<char>(0x80 | (code_point & 0x3F));
    return 2;
  }
  if (code_point < 0x10000) {
    out[0] = static_cast<char>(0xE0 | (code_point >> 12));
    out[1] = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out[2] = static_cast<char>(0x80 | (code_point & 0x3F));
    return 3;
  }
  out[0] = static_cast<char>(0xF0 | (code_point >> 18));
  out[1] = static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
  out[2] = static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
  out[3] = static_cast<char>(0x80 | (code_point & 0x3F));
  return 4;
}

// What a non-ASCII code point becomes: a separator, nothing (combining marks), ASCII letters,
// or itself lower-cased (Greek and Cyrillic capitals; other scripts are kept as they are).
enum class FoldKind { kSeparator, kDrop, kLetters, kCodePoint };
struct Fold {
  FoldKind kind;
  std::string_view letters;
  char32_t code_point = 0;
};

Fold FoldNonAscii(char32_t c) {
  if (c >= 0xC0 && c <= 0xFF) {
    std::string_view letters = kLatin1Letters[c - 0xC0];
    return letters.empty() ? Fold{FoldKind::kSeparator, {}} : Fold{FoldKind::kLetters, letters};
  }
  if (c >= 0x100 && c <= 0x17F) return Fold{FoldKind::kLetters, kLatinExtendedALetters[c - 0x100]};
  if (c >= 0x300 && c <= 0x36F) return Fold{FoldKind::kDrop, {}};  // combining diacritical marks
  if (c < 0xC0 || (c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F) || c == 0xFEFF ||
      c == 0xFFFD) {
    return Fold{FoldKind::kSeparator,
                {}};  // Latin-1 punctuation, general punctuation, CJK punctuation
  }
  if (c >= 0x391 && c <= 0x3AB && c != 0x3A2)
    return Fold{FoldKind::kCodePoint, {}, c + 0x20};                              // Greek
  if (c >= 0x410 && c <= 0x42F) return Fold{FoldKind::kCodePoint, {}, c + 0x20};  // Cyrillic
  if (c >= 0x400 && c <= 0x40F) return Fold{FoldKind::kCodePoint, {}, c + 0x50};
  return Fold{FoldKind::kCodePoint, {}, c};
}

// Typical entry counts of a clinical resource, reserved up front to avoid growing the vectors.
constexpr std::size_t kExpectedTokens = 16;
constexpr std::size_t kExpectedStrings = 16;
constexpr std::size_t kExpectedReferences = 8;

}  // namespace

std::string NormalizeForSearch(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  auto append = [&](std::string_view letters) {
    if (pending_space && !out.empty()) out.push_back(' ');
    pending_space = false;
    out.append(letters);
  };
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {
      ++pos;
      if (byte >= 'A' && byte <= 'Z') {
        char lower = static_cast<char>(byte - 'A' + 'a');
        append(std::string_view(&lower, 1));
      } else if ((byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9')) {
        if (pending_space && !out.empty()) out.push_back(' ');
        pending_space = false;
        out.push_back(static_cast<char>(byte));
      } else {
        pending_space = true;
      }
      continue;
    }
    Fold fold = FoldNonAscii(DecodeUtf8(text, &pos));
    switch (fold.kind) {
      case FoldKind::kSeparator:
        pending_space = true;
        break;
      case FoldKind::kDrop:
        break;
      case FoldKind::kLetters:
        append(fold.letters);
        break;
      case FoldKind::kCodePoint: {
        std::array<char, 4> encoded{};
        append(std::string_view(encoded.data(), EncodeUtf8(fold.code_point, encoded.data())));
        break;
      }
    }
  }
  return out;
}

Result<IndexEntries> ExtractIndexEntries(const JsonValue& resource,
                                         const std::vector<SearchParameterDef>& parameters) {
  thread_local PathCache cache;
  CUSTOS_ASSIGN_OR_RETURN(const std::vector<const FhirPath*>* paths, cache.PathsOf(parameters));
  IndexEntries entries;
  entries.tokens.reserve(kExpectedTokens);
  entries.strings.reserve(kExpectedStrings);
  entries.references.reserve(kExpectedReferences);
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const SearchParameterDef& parameter = parameters[i];
    const FhirPath* path = (*paths)[i];
    if (path == nullptr) continue;
    const std::vector<PathValue> values = path->Evaluate(resource);
    if (values.empty()) continue;
    const std::string& param = parameter.code;
    switch (parameter.type) {
      case SearchParamType::kToken: {
        std::size_t from = entries.tokens.size();
        for (const PathValue& value : values) ExtractToken(param, value, &entries);
        DropRepeats(entries.tokens, from, [](const TokenEntry& a, const TokenEntry& b) {
          return a.code == b.code && a.system == b.system;
        });
        break;
      }
      case SearchParamType::kString: {
        std::size_t from = entries.strings.size();
        for (const PathValue& value : values) ExtractString(param, value, &entries);
        DropRepeats(entries.strings, from,
                    [](const StringEntry& a, const StringEntry& b) { return a.exact == b.exact; });
        break;
      }
      case SearchParamType::kDate:
        for (const PathValue& value : values) ExtractDate(param, value, &entries);
        break;
      case SearchParamType::kReference: {
        std::size_t from = entries.references.size();
        for (const PathValue& value : values) ExtractReference(param, value, &entries);
        DropRepeats(entries.references, from, [](const ReferenceEntry& a, const ReferenceEntry& b) {
          return a.url == b.url;
        });
        break;
      }
      case SearchParamType::kQuantity:
        for (const PathValue& value : values) ExtractQuantity(param, value, &entries);
        break;
      case SearchParamType::kNumber:
        for (const PathValue& value : values) ExtractNumber(param, value, &entries);
        break;
      case SearchParamType::kUri:
        for (const PathValue& value : values) ExtractUri(param, value, &entries);
        break;
      case SearchParamType::kComposite:
      case SearchParamType::kSpecial:
        break;
    }
  }
  return entries;
}

}  // namespace custos::clinical
