// The validator walks a resource's JSON once, against lookup tables built from the
// StructureDefinitions when the Validator is made: one "context" per structure root and per
// backbone element (Patient, Patient.contact, HumanName, ...), each a sorted table from JSON
// key ("name", "valueQuantity", the choice element under each of its type suffixes) to what the
// key holds. Primitive formats are checked by hand-written scanners following the regular
// expressions of the R4 specification (https://hl7.org/fhir/R4/datatypes.html#primitive), not
// std::regex: validation sits on the import path and must cost microseconds per resource. Paths
// for messages are kept as a stack of views and only turned into strings when an issue is found.
#include "custos/clinical/validator.h"

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdint>
#include <limits>
#include <map>
#include <string_view>
#include <unordered_set>

namespace custos::clinical {
namespace {

enum class Primitive : std::uint8_t {
  kNone,
  kBoolean,
  kInteger,
  kPositiveInt,
  kUnsignedInt,
  kDecimal,
  kString,
  kMarkdown,
  kXhtml,
  kCode,
  kId,
  kUri,
  kOid,
  kUuid,
  kDate,
  kDateTime,
  kInstant,
  kTime,
  kBase64Binary,
};

Primitive PrimitiveNamed(std::string_view name) {
  static constexpr std::pair<std::string_view, Primitive> kNames[] = {
      {"boolean", Primitive::kBoolean},
      {"integer", Primitive::kInteger},
      {"positiveInt", Primitive::kPositiveInt},
      {"unsignedInt", Primitive::kUnsignedInt},
      {"decimal", Primitive::kDecimal},
      {"string", Primitive::kString},
      {"markdown", Primitive::kMarkdown},
      {"xhtml", Primitive::kXhtml},
      {"code", Primitive::kCode},
      {"id", Primitive::kId},
      {"uri", Primitive::kUri},
      {"url", Primitive::kUri},
      {"canonical", Primitive::kUri},
      {"oid", Primitive::kOid},
      {"uuid", Primitive::kUuid},
      {"date", Primitive::kDate},
      {"dateTime", Primitive::kDateTime},
      {"instant", Primitive::kInstant},
      {"time", Primitive::kTime},
      {"base64Binary", Primitive::kBase64Binary},
  };
  for (const auto& [text, primitive] : kNames) {
    if (text == name) return primitive;
  }
  return Primitive::kNone;
}

// ---- primitive formats ----

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}
// White space or a control character (uri, id and reference tokens allow neither).
bool IsBlankOrControl(char c) { return static_cast<unsigned char>(c) <= ' ' || c == '\x7f'; }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }

// Reads `count` digits at `pos` as a number; -1 when they are not all digits.
int Digits(std::string_view s, size_t pos, size_t count) {
  if (pos + count > s.size()) return -1;
  int value = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (!IsDigit(s[i])) return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// YYYY, YYYY-MM or YYYY-MM-DD at the start of `s` (a real date; year 0000 is not one).
// Returns the length read (0 when malformed) and sets `full` when the day is present.
size_t ScanDate(std::string_view s, bool& full) {
  full = false;
  int year = Digits(s, 0, 4);
  if (year <= 0) return 0;
  if (s.size() == 4 || s[4] != '-') return 4;
  int month = Digits(s, 5, 2);
  if (month < 1 || month > 12) return 0;
  if (s.size() == 7 || s[7] != '-') return 7;
  int day = Digits(s, 8, 2);
  if (day < 1 || day > DaysInMonth(year, month)) return 0;
  full = true;
  return 10;
}

// hh:mm:ss(.fraction)? at `pos`; returns the position after it or 0.
size_t ScanTime(std::string_view s, size_t pos) {
  int hour = Digits(s, pos, 2);
  if (hour < 0 || hour > 23 || pos + 2 >= s.size() || s[pos + 2] != ':') return 0;
  int minute = Digits(s, pos + 3, 2);
  if (minute < 0 || minute > 59 || pos + 5 >= s.size() || s[pos + 5] != ':') return 0;
  int second = Digits(s, pos + 6, 2);
  if (second < 0 || second > 60) return 0;
  pos += 8;
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (pos == start) return 0;
  }
  return pos;
}

// Z or (+|-)hh:mm with hh:mm at most 14:00, exactly filling the rest of `s`.
bool IsZone(std::string_view s, size_t pos) {
  if (pos < s.size() && s[pos] == 'Z') return pos + 1 == s.size();
  if (pos + 6 != s.size() || (s[pos] != '+' && s[pos] != '-') || s[pos + 3] != ':') return false;
  int hours = Digits(s, pos + 1, 2);
  int minutes = Digits(s, pos + 4, 2);
  if (hours < 0 || minutes < 0 || minutes > 59) return false;
  return hours < 14 || (hours == 14 && minutes == 0);
}

bool IsDateTime(std::string_view s, bool require_time) {
  bool full = false;
  size_t pos = ScanDate(s, full);
  if (pos == 0) return false;
  if (pos == s.size()) return !require_time;
  if (!full || s[pos] != 'T') return false;
  pos = ScanTime(s, pos + 1);
  return pos != 0 && IsZone(s, pos);
}

bool IsCode(std::string_view s) {
  if (s.empty() || IsSpace(s.front()) || IsSpace(s.back())) return false;
  for (size_t i = 1; i < s.size(); ++i) {
    if (IsSpace(s[i]) && IsSpace(s[i - 1])) return false;
  }
  return true;
}

bool IsId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    bool ok =
        IsDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool IsUri(std::string_view s) {
  if (s.empty()) return false;
  // Through a lambda, which inlines; handed over as a function pointer it was a call per byte.
  return std::none_of(s.begin(), s.end(), [](char c) { return IsBlankOrControl(c); });
}

bool IsOid(std::string_view s) {
  constexpr std::string_view kPrefix = "urn:oid:";
  if (!s.starts_with(kPrefix)) return false;
  s.remove_prefix(kPrefix.size());
  if (s.size() < 3 || s[0] < '0' || s[0] > '2' || s[1] != '.') return false;
  size_t pos = 1;
  while (pos < s.size()) {
    if (s[pos] != '.' || pos + 1 >= s.size() || !IsDigit(s[pos + 1])) return false;
    size_t start = ++pos;
    while (pos < s.size() && IsDigit(s[pos])) ++pos;
    if (s[start] == '0' && pos - start > 1) return false;
  }
  return true;
}

bool IsUuid(std::string_view s) {
  constexpr std::string_view kPrefix = "urn:uuid:";
  if (!s.starts_with(kPrefix) || s.size() != kPrefix.size() + 36) return false;
  s.remove_prefix(kPrefix.size());
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsLowerHex(s[i])) return false;
  }
  return true;
}

bool IsBase64(std::string_view s) {
  size_t count = 0;
  size_t padding = 0;
  for (char c : s) {
    if (IsSpace(c)) continue;
    bool alphabet =
        IsDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '+' || c == '/';
    if (c == '=') {
      ++padding;
    } else if (!alphabet || padding > 0) {
      return false;  // a character after padding, or outside the alphabet
    }
    ++count;
  }
  return count > 0 && count % 4 == 0 && padding <= 2;
}

// Null when `value` is a valid `primitive`, else what is wrong with it.
const char* PrimitiveProblem(Primitive primitive, const JsonValue& value) {
  switch (primitive) {
    case Primitive::kNone:
      return nullptr;
    case Primitive::kBoolean:
      return value.is_bool() ? nullptr : "must be true or false";
    case Primitive::kInteger:
    case Primitive::kPositiveInt:
    case Primitive::kUnsignedInt: {
      if (!value.is_integer()) return "must be a JSON integer";
      const std::optional<std::int64_t> parsed = value.integer();
      if (!parsed) return "is out of the 32-bit integer range";
      const std::int64_t number = *parsed;
      if (number > std::numeric_limits<std::int32_t>::max() ||
          number < std::numeric_limits<std::int32_t>::min()) {
        return "is out of the 32-bit integer range";
      }
      if (primitive == Primitive::kPositiveInt && number < 1) return "must be a positive integer";
      if (primitive == Primitive::kUnsignedInt && number < 0) return "must not be negative";
      return nullptr;
    }
    case Primitive::kDecimal:
      return value.is_number() ? nullptr : "must be a JSON number";
    default:
      break;
  }
  if (!value.is_string()) return "must be a JSON string";
  const std::string_view s = value.string();
  switch (primitive) {
    case Primitive::kString:
    case Primitive::kMarkdown:
    case Primitive::kXhtml:
      return s.empty() ? "must not be empty" : nullptr;
    case Primitive::kCode:
      return IsCode(s) ? nullptr
                       : "is not a valid code (no leading, trailing or repeated white space)";
    case Primitive::kId:
      return IsId(s) ? nullptr : "is not a valid id (1-64 of A-Z a-z 0-9 - .)";
    case Primitive::kUri:
      return IsUri(s) ? nullptr : "is not a valid uri (non-empty, no white space)";
    case Primitive::kOid:
      return IsOid(s) ? nullptr : "is not a valid oid (urn:oid:…)";
    case Primitive::kUuid:
      return IsUuid(s) ? nullptr : "is not a valid uuid (urn:uuid: and lower-case hex)";
    case Primitive::kDate: {
      bool full = false;
      size_t length = ScanDate(s, full);
      return length != 0 && length == s.size()
                 ? nullptr
                 : "is not a valid date (YYYY, YYYY-MM or YYYY-MM-DD)";
    }
    case Primitive::kDateTime:
      return IsDateTime(s, false) ? nullptr
                                  : "is not a valid dateTime (YYYY, YYYY-MM, YYYY-MM-DD or "
                                    "YYYY-MM-DDThh:mm:ss with a time zone)";
    case Primitive::kInstant:
      return IsDateTime(s, true)
                 ? nullptr
                 : "is not a valid instant (YYYY-MM-DDThh:mm:ss(.sss) with a time zone)";
    case Primitive::kTime: {
      size_t end = ScanTime(s, 0);
      return end != 0 && end == s.size() ? nullptr : "is not a valid time (hh:mm:ss)";
    }
    case Primitive::kBase64Binary:
      return IsBase64(s) ? nullptr : "is not valid base64";
    default:
      return nullptr;
  }
}

bool IsResourceTypeName(std::string_view s) {
  if (s.empty() || s[0] < 'A' || s[0] > 'Z') return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); });
}

// Null when `reference` is a valid Reference.reference for an element whose targets are
// `targets` (empty or containing "Resource": any type). Accepted: "#" and "#id" (contained),
// "Type/id", "Type/id/_history/vid", "Type?query" (conditional, in transactions), urn:uuid:,
// urn:oid: and other absolute URIs.
const char* ReferenceProblem(std::string_view reference, const std::vector<std::string>* targets) {
  if (reference.empty()) return "must not be empty";
  if (reference[0] == '#') {
    return reference.size() == 1 || IsId(reference.substr(1))
               ? nullptr
               : "is not a valid contained reference";
  }
  if (reference.starts_with("urn:uuid:"))
    return IsUuid(reference) ? nullptr : "is not a valid urn:uuid reference";
  if (reference.starts_with("urn:oid:"))
    return IsOid(reference) ? nullptr : "is not a valid urn:oid reference";
  if (!IsUri(reference)) return "must not contain white space";
  size_t scheme = reference.find("://");
  if (scheme != std::string_view::npos && scheme > 0 && reference.find('/') > scheme) {
    return reference.size() > scheme + 3 ? nullptr : "is not a valid absolute reference";
  }
  size_t separator = reference.find_first_of("/?");
  std::string_view type = reference.substr(0, separator);
  if (separator == std::string_view::npos || !IsResourceTypeName(type)) {
    return "must be Type/id, #id, urn:uuid:… or an absolute URL";
  }
  if (reference[separator] == '?') {
    if (separator + 1 == reference.size()) return "has an empty conditional query";
  } else {
    std::string_view rest = reference.substr(separator + 1);
    size_t slash = rest.find('/');
    if (!IsId(rest.substr(0, slash))) return "must be Type/id with a valid id";
    if (slash != std::string_view::npos) {
      std::string_view history = rest.substr(slash);
      if (!history.starts_with("/_history/") || !IsId(history.substr(10))) {
        return "must be Type/id or Type/id/_history/version";
      }
    }
  }
  if (targets != nullptr && !targets->empty()) {
    bool allowed = false;
    for (const std::string& target : *targets)
      allowed = allowed || target == "Resource" || target == type;
    if (!allowed) return "points to a resource type this element does not allow";
  }
  return nullptr;
}

std::string Capitalized(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

constexpr size_t kMaxElementsPerContext = 128;
constexpr size_t kMaxDepth = 48;
constexpr size_t kMaxIssues = 100;

}  // namespace

// ---- lookup tables ----

class ValidatorIndex {
 public:
  enum class Kind : std::uint8_t { kPrimitive, kComplex, kResource };

  // What one JSON key of an object holds.
  struct Slot {
    std::string key;  // "name", "valueQuantity"
    const ElementDef* element = nullptr;
    std::uint16_t element_index = 0;  // among the context's elements (cardinality, choice)
    bool choice = false;
    Kind kind = Kind::kComplex;
    Primitive primitive = Primitive::kNone;
    int context = -1;  // kComplex: the children; kPrimitive: the `_key` object (id, extension)
    std::string_view type_name;                                   // for messages
    const std::unordered_set<std::string_view>* codes = nullptr;  // required binding of a code
  };

  struct Context {
    std::string path;
    bool resource_root = false;
    bool reference = false;  // the Reference datatype: check `reference`
    std::vector<Slot> slots;
    // Open addressing over `slots`: Hash(key) & mask, then linear probing; kEmpty ends a probe.
    std::vector<std::uint16_t> table;
    std::vector<const ElementDef*> elements;
    std::vector<std::uint16_t> required;  // element indices with min > 0
  };
  static constexpr std::uint16_t kEmpty = 0xffff;

  // Cheap and good enough for element names: they differ in length, ends and middle.
  static size_t Hash(std::string_view key) {
    if (key.empty()) return 0;
    auto at = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(key[i])); };
    return key.size() * 131 + at(0) * 31 + at(key.size() - 1) * 7 + at(key.size() / 2) * 3 +
           at(key.size() * 3 / 4);
  }

  explicit ValidatorIndex(const Definitions& definitions);

  const Slot* Find(int context_id, std::string_view key) const {
    const Context& context = contexts_[context_id];
    const size_t mask = context.table.size() - 1;
    for (size_t i = Hash(key) & mask;; i = (i + 1) & mask) {
      std::uint16_t slot = context.table[i];
      if (slot == kEmpty) return nullptr;
      if (context.slots[slot].key == key) return &context.slots[slot];
    }
  }
  const Context& context(int id) const { return contexts_[id]; }
  // Root context of a concrete resource type; -1 when unknown or abstract.
  int ResourceRoot(std::string_view type) const {
    auto it = resource_roots_.find(type);
    return it == resource_roots_.end() ? -1 : it->second;
  }

 private:
  int Build(const TypeDef& type);

  const Definitions& definitions_;
  std::vector<Context> contexts_;
  std::map<std::string, int, std::less<>> type_roots_;      // every type's root context
  std::map<std::string, int, std::less<>> resource_roots_;  // concrete resource types only
  std::map<std::string, std::unordered_set<std::string_view>, std::less<>> codes_;
};

ValidatorIndex::ValidatorIndex(const Definitions& definitions) : definitions_(definitions) {
  // Definitions has no iteration API: start from the resource types the data files carry and
  // take every type their elements use, transitively.
  std::vector<const TypeDef*> pending;
  std::map<std::string, bool, std::less<>> queued;
  auto enqueue = [&](std::string_view name) {
    if (queued.contains(name)) return;
    queued.emplace(std::string(name), true);
    if (const TypeDef* type = definitions_.Type(name)) pending.push_back(type);
  };
  for (const std::string& name : definitions_.StoredResourceTypes()) enqueue(name);
  for (std::string_view name :
       {"Bundle", "Coverage", "Provenance", "Medication", "Device", "CareTeam", "PractitionerRole",
        "RelatedPerson", "MedicationAdministration", "SupplyDelivery", "Element", "Extension"}) {
    enqueue(name);
  }
  for (size_t i = 0; i < pending.size(); ++i) {
    for (const ElementDef& element : pending[i]->elements) {
      for (const std::string& code : element.types) enqueue(code);
    }
  }
  for (const TypeDef* type : pending) Build(*type);
}

int ValidatorIndex::Build(const TypeDef& type) {
  if (auto it = type_roots_.find(type.name); it != type_roots_.end()) return it->second;

  // A context per parent path: the root and each element that has children of its own.
  std::map<std::string, int, std::less<>> by_path;
  auto context_for = [&](std::string_view path) {
    if (auto it = by_path.find(path); it != by_path.end()) return it->second;
    int id = static_cast<int>(contexts_.size());
    contexts_.emplace_back();
    contexts_.back().path = std::string(path);
    by_path.emplace(std::string(path), id);
    return id;
  };
  const int root = context_for(type.name);
  type_roots_.emplace(type.name, root);
  contexts_[root].resource_root = type.is_resource;
  contexts_[root].reference = type.name == "Reference";
  if (type.is_resource && type.name != "Resource" && type.name != "DomainResource") {
    resource_roots_.emplace(type.name, root);
  }
  for (const ElementDef& element : type.elements) {
    context_for(std::string_view(element.path).substr(0, element.path.rfind('.')));
  }

  for (const ElementDef& element : type.elements) {
    size_t dot = element.path.rfind('.');
    const int parent = by_path.find(std::string_view(element.path).substr(0, dot))->second;
    std::string name = element.path.substr(dot + 1);
    const bool choice = name.ends_with("[x]");
    if (choice) name.resize(name.size() - 3);

    auto index = static_cast<std::uint16_t>(contexts_[parent].elements.size());
    CUSTOS_CHECK(index < kMaxElementsPerContext);
    contexts_[parent].elements.push_back(&element);
    if (element.min > 0) contexts_[parent].required.push_back(index);

    Slot base;
    base.element = &element;
    base.element_index = index;
    base.choice = choice;

    std::vector<Slot> slots;
    if (!element.content_reference.empty()) {
      base.kind = Kind::kComplex;
      std::string_view target = element.content_reference;
      if (target.starts_with('#')) target.remove_prefix(1);
      base.context = context_for(target);
      base.type_name = "BackboneElement";
      base.key = name;
      slots.push_back(base);
    } else if (by_path.contains(element.path)) {
      base.kind = Kind::kComplex;  // BackboneElement (or Element) with children listed here
      base.context = by_path.find(element.path)->second;
      base.type_name =
          element.types.empty() ? std::string_view("BackboneElement") : element.types.front();
      base.key = name;
      slots.push_back(base);
    } else {
      for (const std::string& code : element.types) {
        Slot slot = base;
        slot.key = choice ? name + Capitalized(code) : name;
        slot.type_name = code;
        const TypeDef* slot_type = definitions_.Type(code);
        if (code == "Resource" || (slot_type != nullptr && slot_type->is_resource)) {
          slot.kind = Kind::kResource;
        } else if (Primitive primitive = PrimitiveNamed(code); primitive != Primitive::kNone) {
          slot.kind = Kind::kPrimitive;
          // Resource.id is written as a string in the snapshots; the specification means id.
          slot.primitive =
              type.is_resource && element.path == type.name + ".id" ? Primitive::kId : primitive;
          if (const TypeDef* primitive_type = definitions_.Type(code))
            slot.context = Build(*primitive_type);
          if (primitive == Primitive::kCode && !element.required_value_set.empty()) {
            auto it = codes_.find(element.required_value_set);
            if (it == codes_.end()) {
              if (const std::vector<std::string>* codes =
                      definitions_.ValueSetCodes(element.required_value_set)) {
                it = codes_
                         .emplace(element.required_value_set, std::unordered_set<std::string_view>(
                                                                  codes->begin(), codes->end()))
                         .first;
              }
            }
            if (it != codes_.end()) slot.codes = &it->second;
          }
        } else if (slot_type != nullptr) {
          slot.kind = Kind::kComplex;
          slot.context = Build(*slot_type);
        } else {
          continue;  // a type the definitions do not carry: the key stays unknown
        }
        slots.push_back(std::move(slot));
        if (!choice) break;
      }
    }
    for (Slot& slot : slots) contexts_[parent].slots.push_back(std::move(slot));
  }
  for (const auto& [path, id] : by_path) {
    Context& context = contexts_[id];
    size_t size = 4;
    while (size < context.slots.size() * 3) size *= 2;
    CUSTOS_CHECK(context.slots.size() < kEmpty);
    context.table.assign(size, kEmpty);
    for (size_t slot = 0; slot < context.slots.size(); ++slot) {
      size_t i = Hash(context.slots[slot].key) & (size - 1);
      while (context.table[i] != kEmpty) i = (i + 1) & (size - 1);
      context.table[i] = static_cast<std::uint16_t>(slot);
    }
  }
  return root;
}

// ---- the walk ----

namespace {

using Index = ValidatorIndex;

class Walk {
 public:
  explicit Walk(const Index& index) : index_(index) {}

  std::vector<ValidationIssue> TakeIssues() { return std::move(issues_); }

  // A resource at the current path (the root, a contained resource, a Bundle entry).
  void Resource(const JsonValue& json, bool contained) {
    if (!json.is_object()) {
      Report("structure", "must be a JSON object (a resource)");
      return;
    }
    const JsonValue type = json.find("resourceType");
    if (!type.is_string()) {
      Report("required", "resourceType is missing or not a string");
      return;
    }
    const std::string_view name = type.string();
    int root = index_.ResourceRoot(name);
    if (root < 0) {
      Report("not-supported", "unknown or unsupported resource type '" + std::string(name) + "'");
      return;
    }
    const bool top = depth_ == 0;
    if (top) Push(name);
    if (contained && json.find("contained").exists()) {
      Push("contained");
      Report("structure", "a contained resource must not contain resources (dom-2)");
      Pop();
    }
    Object(root, json, nullptr);
    if (top) Pop();
  }

 private:
  struct Segment {  // no initializers: the path array is not cleared per resource
    std::string_view name;
    std::int64_t index;  // -1: not an array item
  };

  void Push(std::string_view name, std::int64_t index = -1) {
    if (depth_ < path_.size()) path_[depth_] = Segment{name, index};
    ++depth_;
  }
  void Pop() { --depth_; }

  std::string Expression() const {
    std::string out;
    for (size_t i = 0; i < std::min(depth_, path_.size()); ++i) {
      if (i > 0) out += '.';
      out += path_[i].name;
      if (path_[i].index >= 0) out += '[' + std::to_string(path_[i].index) + ']';
    }
    return out;
  }

  void Report(const char* code, std::string message) {
    if (issues_.size() > kMaxIssues) return;
    if (issues_.size() == kMaxIssues) {
      issues_.push_back(
          {"error", "too-costly", Expression(), "too many issues; the rest are not reported"});
      return;
    }
    issues_.push_back({"error", code, Expression(), std::move(message)});
  }

  // A JSON object against a context. `owner` is the element it fills (for Reference targets).
  void Object(int context_id, const JsonValue& json, const ElementDef* owner) {
    const Index::Context& context = index_.context(context_id);
    if (depth_ >= kMaxDepth) {
      Report("structure", "nested too deeply");
      return;
    }
    std::bitset<kMaxElementsPerContext> present;
    std::bitset<kMaxElementsPerContext> valued;
    JsonValue reference;
    for (const JsonValue value : json.children()) {
      const std::string_view key = value.key();
      if (context.resource_root && key == "resourceType") continue;
      if (context.reference && key == "reference") reference = value;
      const bool extension = !key.empty() && key[0] == '_';
      const Index::Slot* slot =
          index_.Find(context_id, extension ? std::string_view(key).substr(1) : key);
      if (slot == nullptr || (extension && slot->kind != Index::Kind::kPrimitive)) {
        Push(key);
        Report("structure", "unknown element '" + std::string(key) + "' in " + context.path);
        Pop();
        continue;
      }
      if (!extension && slot->choice && valued[slot->element_index]) {
        Push(key);
        Report("structure",
               "only one type of choice element " + slot->element->path + " may appear");
        Pop();
      }
      present[slot->element_index] = true;
      if (!extension) valued[slot->element_index] = true;
      if (extension) {
        PrimitiveExtension(*slot, key, value);
      } else {
        Element(*slot, key, value, json);
      }
    }
    for (std::uint16_t required : context.required) {
      if (present[required]) continue;
      const ElementDef& element = *context.elements[required];
      std::string_view name = std::string_view(element.path).substr(element.path.rfind('.') + 1);
      Push(name);
      Report("required", "missing required element " + element.path);
      Pop();
    }
    if (reference.exists() && owner != nullptr) {
      // An empty or non-string reference has been reported as a string already.
      if (reference.is_string() && !reference.string().empty()) {
        const char* problem = ReferenceProblem(reference.string(), &owner->reference_targets);
        if (problem != nullptr) {
          Push("reference");
          Report("value", "reference '" + std::string(reference.string()) + "' " + problem);
          Pop();
        }
      }
    }
  }

  // The value of `key`, with the element's cardinality.
  void Element(const Index::Slot& slot, std::string_view key, const JsonValue& value,
               const JsonValue& parent) {
    const ElementDef& element = *slot.element;
    if (element.max == 1) {
      if (value.is_array()) {
        Push(key);
        Report("structure", element.path + " takes a single value, not an array");
        Pop();
        return;
      }
      Push(key);
      Item(slot, value);
      Pop();
      return;
    }
    if (!value.is_array()) {
      Push(key);
      Report("structure", element.path + " takes an array");
      Pop();
      return;
    }
    if (value.empty()) {
      Push(key);
      Report("structure", "arrays must not be empty");
      Pop();
      return;
    }
    if (element.max > 1 && value.size() > static_cast<size_t>(element.max)) {
      Push(key);
      Report("structure",
             element.path + " takes at most " + std::to_string(element.max) + " values");
      Pop();
    }
    if (element.min > 1 && value.size() < static_cast<size_t>(element.min)) {
      Push(key);
      Report("required",
             element.path + " needs at least " + std::to_string(element.min) + " values");
      Pop();
    }
    std::int64_t index = 0;
    for (const JsonValue item : value.children()) {
      Push(key, index++);
      if (item.is_null() && slot.kind == Index::Kind::kPrimitive) {
        // A null stands in for a value whose extension is in the `_key` array at the same place.
        if (!parent.find("_" + std::string(key)).exists())
          Report("structure", "null is only allowed with a matching _" + std::string(key));
      } else {
        Item(slot, item);
      }
      Pop();
    }
  }

  // One value of an element (the path already names it).
  void Item(const Index::Slot& slot, const JsonValue& value) {
    switch (slot.kind) {
      case Index::Kind::kPrimitive: {
        if (const char* problem = PrimitiveProblem(slot.primitive, value)) {
          Report("value", std::string(slot.type_name) + " value " + Shown(value) + " " + problem);
          return;
        }
        if (slot.codes != nullptr && !slot.codes->contains(value.string())) {
          Report("code-invalid", "code '" + std::string(value.string()) +
                                     "' is not in the required value set " +
                                     slot.element->required_value_set);
        }
        return;
      }
      case Index::Kind::kComplex:
        if (!value.is_object()) {
          Report("structure", std::string(slot.type_name) + " value must be a JSON object");
          return;
        }
        Object(slot.context, value, slot.element);
        return;
      case Index::Kind::kResource:
        Resource(value, slot.element->path.ends_with(".contained"));
        return;
    }
  }

  // `_key`: the id and extensions of a primitive value (or an array of them, null where none).
  void PrimitiveExtension(const Index::Slot& slot, std::string_view key, const JsonValue& value) {
    Push(key);
    if (slot.element->max == 1) {
      if (!value.is_object()) {
        Report("structure", "must be a JSON object (id, extension)");
      } else if (slot.context >= 0) {
        Object(slot.context, value, nullptr);
      }
    } else if (!value.is_array()) {
      Report("structure", "must be an array matching " + std::string(key.substr(1)));
    } else {
      std::int64_t index = 0;
      for (const JsonValue item : value.children()) {
        path_[std::min(depth_ - 1, path_.size() - 1)].index = index++;
        if (item.is_null()) continue;
        if (!item.is_object()) {
          Report("structure", "must be null or a JSON object (id, extension)");
        } else if (slot.context >= 0) {
          Object(slot.context, item, nullptr);
        }
      }
    }
    Pop();
  }

  static std::string Shown(const JsonValue& value) {
    std::string text = value.Compact();
    constexpr size_t kLongest = 80;
    if (text.size() > kLongest) text = text.substr(0, kLongest) + "…";
    return text;
  }

  const Index& index_;
  std::array<Segment, kMaxDepth + 8> path_;  // the first depth_ are in use
  size_t depth_ = 0;
  std::vector<ValidationIssue> issues_;
};

}  // namespace

Validator::Validator(const Definitions& definitions) : definitions_(definitions) {
  if (&definitions_ == &Definitions::R4()) {
    static const std::shared_ptr<const ValidatorIndex> r4 =
        std::make_shared<ValidatorIndex>(Definitions::R4());
    index_ = r4;
  } else {
    index_ = std::make_shared<ValidatorIndex>(definitions);
  }
}

std::vector<ValidationIssue> Validator::Validate(const JsonValue& resource) const {
  Walk walk(*index_);
  walk.Resource(resource, false);
  return walk.TakeIssues();
}

}  // namespace custos::clinical
