#include "custos/patients/registry_fhir.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>

namespace custos::patients {
namespace {

constexpr std::string_view kIdentifierTypeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203";
constexpr std::string_view kCoverageRelationshipSystem =
    "http://terminology.hl7.org/CodeSystem/subscriber-relationship";
constexpr std::string_view kVerificationExtension =
    "urn:custos:fhir:StructureDefinition/coverage-verification";

std::string Trim(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

std::string DigitsOf(std::string_view text) {
  std::string digits;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c))) digits.push_back(c);
  }
  return digits;
}

// Reads an optional string member of `object` at `path` (for messages).
Result<std::string> Text(const Json& object, std::string_view key, const std::string& path,
                         size_t max_length = 200) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Status::InvalidArgument(path + " must be a string", path);
  std::string value = Trim(it->get_ref<const std::string&>());
  if (value.size() > max_length) {
    return Status::InvalidArgument(
        path + " must be at most " + std::to_string(max_length) + " characters", path);
  }
  return value;
}

Result<const Json*> Object(const Json& object, std::string_view key, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return static_cast<const Json*>(nullptr);
  if (!it->is_object()) return Status::InvalidArgument(path + " must be an object", path);
  return &*it;
}

Result<const Json*> Array(const Json& object, std::string_view key, const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return static_cast<const Json*>(nullptr);
  if (!it->is_array()) return Status::InvalidArgument(path + " must be an array", path);
  return &*it;
}

std::string Item(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// A person's name part: at least one letter; letters (any script), spaces, hyphens, apostrophes
// and periods only.
Status CheckNamePart(const std::string& value, const std::string& path) {
  if (value.empty()) return Status::Ok();
  bool has_letter = false;
  for (unsigned char c : value) {
    if (c >= 0x80 || std::isalpha(c)) {
      has_letter = true;
    } else if (c != ' ' && c != '-' && c != '\'' && c != '.') {
      return Status::InvalidArgument(
          path + " may hold only letters, spaces, hyphens, apostrophes and periods", path);
    }
  }
  if (!has_letter) return Status::InvalidArgument(path + " must contain a letter", path);
  return Status::Ok();
}

struct CivilDate {
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
};

// Parses YYYY-MM-DD and checks it is a day of the calendar.
std::optional<CivilDate> ParseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  CivilDate date{std::stoi(std::string(text.substr(0, 4))),
                 static_cast<unsigned>(std::stoi(std::string(text.substr(5, 2)))),
                 static_cast<unsigned>(std::stoi(std::string(text.substr(8, 2))))};
  const std::chrono::year_month_day ymd{std::chrono::year(date.year),
                                        std::chrono::month(date.month), std::chrono::day(date.day)};
  if (!ymd.ok()) return std::nullopt;
  return date;
}

std::string TodayText(Timestamp today) { return FormatTimestamp(today).substr(0, 10); }

Status CheckDate(const std::string& value, const std::string& path, Timestamp today,
                 std::string_view earliest) {
  if (value.empty()) return Status::Ok();
  if (!ParseDate(value)) {
    return Status::InvalidArgument(path + " must be a real date written YYYY-MM-DD", path);
  }
  if (value > TodayText(today)) {
    return Status::InvalidArgument(path + " cannot be in the future", path);
  }
  if (value < earliest) {
    return Status::InvalidArgument(path + " cannot be before " + std::string(earliest), path);
  }
  return Status::Ok();
}

Status OneOf(const std::string& value, const std::string& path,
             std::initializer_list<std::string_view> allowed) {
  if (value.empty()) return Status::Ok();
  for (std::string_view option : allowed) {
    if (value == option) return Status::Ok();
  }
  std::string list;
  for (std::string_view option : allowed) {
    if (!list.empty()) list += ", ";
    list += option;
  }
  return Status::InvalidArgument(path + " must be one of: " + list, path);
}

Status CheckPhone(const std::string& value) {
  if (value.empty()) return Status::Ok();
  for (char c : value) {
    if (!std::isdigit(static_cast<unsigned char>(c)) &&
        std::string_view(" ()-.+").find(c) == std::string_view::npos) {
      return Status::InvalidArgument("phone may hold only digits, spaces and ( ) - . +", "phone");
    }
  }
  std::string digits = DigitsOf(value);
  if (digits.size() == 11 && digits[0] == '1') digits.erase(0, 1);
  if (digits.size() != 10) {
    return Status::InvalidArgument("phone must have 10 digits (area code and number)", "phone");
  }
  return Status::Ok();
}

Status CheckEmail(const std::string& value) {
  if (value.empty()) return Status::Ok();
  const size_t at = value.find('@');
  const bool ok = at != std::string::npos && at > 0 &&
                  value.find('@', at + 1) == std::string::npos &&
                  value.find('.', at + 2) != std::string::npos && value.back() != '.' &&
                  value.find(' ') == std::string::npos;
  if (!ok) return Status::InvalidArgument("email must look like name@example.org", "email");
  return Status::Ok();
}

Status CheckPostalCode(const std::string& value) {
  if (value.empty()) return Status::Ok();
  const bool five = value.size() == 5 && DigitsOf(value).size() == 5;
  const bool nine = value.size() == 10 && value[5] == '-' && DigitsOf(value).size() == 9;
  if (!five && !nine) {
    return Status::InvalidArgument("address.postal_code must be a ZIP code: 12345 or 12345-6789",
                                   "address.postal_code");
  }
  return Status::Ok();
}

Result<Registration> ParseBody(const Json& body, RegistrationUse use, Timestamp today) {
  Registration r;
  CUSTOS_ASSIGN_OR_RETURN(std::string facility, Text(body, "facility", "facility", 20));
  if (!facility.empty()) {
    for (char c : facility) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
        return Status::InvalidArgument("facility may hold only letters, digits, - and _",
                                       "facility");
      }
    }
    r.facility = facility;
  }

  CUSTOS_ASSIGN_OR_RETURN(const Json* name, Object(body, "name", "name"));
  if (name) {
    CUSTOS_ASSIGN_OR_RETURN(r.name.given, Text(*name, "given", "name.given", 100));
    CUSTOS_ASSIGN_OR_RETURN(r.name.middle, Text(*name, "middle", "name.middle", 100));
    CUSTOS_ASSIGN_OR_RETURN(r.name.family, Text(*name, "family", "name.family", 100));
    CUSTOS_ASSIGN_OR_RETURN(r.name.suffix, Text(*name, "suffix", "name.suffix", 10));
    CUSTOS_RETURN_IF_ERROR(CheckNamePart(r.name.given, "name.given"));
    CUSTOS_RETURN_IF_ERROR(CheckNamePart(r.name.middle, "name.middle"));
    CUSTOS_RETURN_IF_ERROR(CheckNamePart(r.name.family, "name.family"));
    CUSTOS_RETURN_IF_ERROR(CheckNamePart(r.name.suffix, "name.suffix"));
  }

  CUSTOS_ASSIGN_OR_RETURN(const Json* previous, Array(body, "previous_names", "previous_names"));
  if (previous) {
    for (size_t i = 0; i < previous->size(); ++i) {
      const std::string path = Item("previous_names", i);
      const Json& item = (*previous)[i];
      if (!item.is_object()) return Status::InvalidArgument(path + " must be an object", path);
      PreviousName entry;
      CUSTOS_ASSIGN_OR_RETURN(entry.given, Text(item, "given", path + ".given", 100));
      CUSTOS_ASSIGN_OR_RETURN(entry.family, Text(item, "family", path + ".family", 100));
      CUSTOS_ASSIGN_OR_RETURN(std::string use_text, Text(item, "use", path + ".use", 10));
      if (!use_text.empty()) entry.use = use_text;
      CUSTOS_RETURN_IF_ERROR(CheckNamePart(entry.given, path + ".given"));
      CUSTOS_RETURN_IF_ERROR(CheckNamePart(entry.family, path + ".family"));
      CUSTOS_RETURN_IF_ERROR(OneOf(entry.use, path + ".use", {"maiden", "old"}));
      if (entry.family.empty() && entry.given.empty()) continue;  // an empty row of the form
      if (entry.family.empty()) {
        return Status::InvalidArgument(path + ".family is required", path + ".family");
      }
      r.previous_names.push_back(std::move(entry));
    }
  }

  CUSTOS_ASSIGN_OR_RETURN(r.preferred_name, Text(body, "preferred_name", "preferred_name", 100));
  CUSTOS_RETURN_IF_ERROR(CheckNamePart(r.preferred_name, "preferred_name"));

  CUSTOS_ASSIGN_OR_RETURN(r.birth_date, Text(body, "birth_date", "birth_date", 10));
  CUSTOS_RETURN_IF_ERROR(CheckDate(r.birth_date, "birth_date", today, "1880-01-01"));

  CUSTOS_ASSIGN_OR_RETURN(r.sex, Text(body, "sex", "sex", 10));
  CUSTOS_RETURN_IF_ERROR(OneOf(r.sex, "sex", {"male", "female", "other", "unknown"}));

  CUSTOS_ASSIGN_OR_RETURN(std::string ssn, Text(body, "ssn", "ssn", 20));
  if (!ssn.empty()) {
    for (char c : ssn) {
      if (!std::isdigit(static_cast<unsigned char>(c)) && c != '-' && c != ' ') {
        return Status::InvalidArgument("ssn may hold only digits and dashes", "ssn");
      }
    }
    r.ssn = DigitsOf(ssn);
    // While typing, a partial SSN still helps matching on its last digits; only a complete
    // one is checked then.
    if (use == RegistrationUse::kRegister || r.ssn.size() >= 9) {
      CUSTOS_RETURN_IF_ERROR(CheckSsn(r.ssn));
    }
  }

  CUSTOS_ASSIGN_OR_RETURN(const Json* address, Object(body, "address", "address"));
  if (address) {
    CUSTOS_ASSIGN_OR_RETURN(const Json* lines, Array(*address, "line", "address.line"));
    if (lines) {
      if (lines->size() > 3) {
        return Status::InvalidArgument("address.line has at most 3 lines", "address.line");
      }
      for (size_t i = 0; i < lines->size(); ++i) {
        const std::string path = Item("address.line", i);
        if (!(*lines)[i].is_string()) {
          return Status::InvalidArgument(path + " must be a string", path);
        }
        std::string line = Trim((*lines)[i].get_ref<const std::string&>());
        if (line.size() > 200) {
          return Status::InvalidArgument(path + " must be at most 200 characters", path);
        }
        if (!line.empty()) r.address.lines.push_back(std::move(line));
      }
    }
    CUSTOS_ASSIGN_OR_RETURN(r.address.city, Text(*address, "city", "address.city", 100));
    CUSTOS_ASSIGN_OR_RETURN(r.address.state, Text(*address, "state", "address.state", 2));
    if (!r.address.state.empty()) {
      if (r.address.state.size() != 2 ||
          !std::isalpha(static_cast<unsigned char>(r.address.state[0])) ||
          !std::isalpha(static_cast<unsigned char>(r.address.state[1]))) {
        return Status::InvalidArgument("address.state must be a two-letter state code",
                                       "address.state");
      }
      for (char& c : r.address.state)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    CUSTOS_ASSIGN_OR_RETURN(r.address.postal_code,
                            Text(*address, "postal_code", "address.postal_code", 10));
    CUSTOS_RETURN_IF_ERROR(CheckPostalCode(r.address.postal_code));
  }

  CUSTOS_ASSIGN_OR_RETURN(r.phone, Text(body, "phone", "phone", 30));
  CUSTOS_RETURN_IF_ERROR(CheckPhone(r.phone));
  CUSTOS_ASSIGN_OR_RETURN(r.email, Text(body, "email", "email", 200));
  CUSTOS_RETURN_IF_ERROR(CheckEmail(r.email));

  CUSTOS_ASSIGN_OR_RETURN(const Json* identifiers, Array(body, "identifiers", "identifiers"));
  if (identifiers) {
    for (size_t i = 0; i < identifiers->size(); ++i) {
      const std::string path = Item("identifiers", i);
      const Json& item = (*identifiers)[i];
      if (!item.is_object()) return Status::InvalidArgument(path + " must be an object", path);
      ExternalIdentifier id;
      CUSTOS_ASSIGN_OR_RETURN(id.system, Text(item, "system", path + ".system"));
      CUSTOS_ASSIGN_OR_RETURN(id.value, Text(item, "value", path + ".value"));
      if (id.system.empty() && id.value.empty()) continue;
      if (id.system.empty()) {
        return Status::InvalidArgument(path + ".system is required (a URI naming the issuer)",
                                       path + ".system");
      }
      if (id.value.empty()) {
        return Status::InvalidArgument(path + ".value is required", path + ".value");
      }
      if (id.system.find(':') == std::string::npos || id.system.find(' ') != std::string::npos) {
        return Status::InvalidArgument(path + ".system must be a URI (urn:oid:… or http…)",
                                       path + ".system");
      }
      if (id.system.starts_with(kMrnSystemPrefix)) {
        return Status::InvalidArgument(path + ".system: Custos issues MRNs itself",
                                       path + ".system");
      }
      r.identifiers.push_back(std::move(id));
    }
  }

  CUSTOS_ASSIGN_OR_RETURN(const Json* coverage, Array(body, "coverage", "coverage"));
  if (coverage) {
    for (size_t i = 0; i < coverage->size(); ++i) {
      const std::string path = Item("coverage", i);
      const Json& item = (*coverage)[i];
      if (!item.is_object()) return Status::InvalidArgument(path + " must be an object", path);
      CoverageInput c;
      CUSTOS_ASSIGN_OR_RETURN(c.payer, Text(item, "payer", path + ".payer"));
      CUSTOS_ASSIGN_OR_RETURN(c.member_id, Text(item, "member_id", path + ".member_id", 50));
      CUSTOS_ASSIGN_OR_RETURN(c.group, Text(item, "group", path + ".group", 50));
      CUSTOS_ASSIGN_OR_RETURN(std::string subscriber,
                              Text(item, "subscriber", path + ".subscriber", 10));
      if (!subscriber.empty()) c.subscriber = subscriber;
      CUSTOS_ASSIGN_OR_RETURN(std::string status,
                              Text(item, "verification_status", path + ".verification_status", 12));
      if (!status.empty()) c.verification_status = status;
      CUSTOS_ASSIGN_OR_RETURN(c.verified_on, Text(item, "verified_on", path + ".verified_on", 10));
      if (c.payer.empty() && c.member_id.empty() && c.group.empty()) continue;
      if (c.payer.empty()) {
        return Status::InvalidArgument(path + ".payer is required", path + ".payer");
      }
      if (c.member_id.empty()) {
        return Status::InvalidArgument(path + ".member_id is required", path + ".member_id");
      }
      CUSTOS_RETURN_IF_ERROR(
          OneOf(c.subscriber, path + ".subscriber", {"self", "spouse", "child", "other"}));
      CUSTOS_RETURN_IF_ERROR(OneOf(c.verification_status, path + ".verification_status",
                                   {"verified", "unverified", "failed"}));
      CUSTOS_RETURN_IF_ERROR(CheckDate(c.verified_on, path + ".verified_on", today, "1900-01-01"));
      if (c.verification_status == "verified" && c.verified_on.empty()) {
        return Status::InvalidArgument(path + ".verified_on is required once verified",
                                       path + ".verified_on");
      }
      r.coverage.push_back(std::move(c));
    }
  }

  auto confirm = body.find("confirm_new_person");
  if (confirm != body.end() && !confirm->is_null()) {
    if (!confirm->is_boolean()) {
      return Status::InvalidArgument("confirm_new_person must be true or false",
                                     "confirm_new_person");
    }
    r.confirm_new_person = confirm->get<bool>();
  }

  if (use == RegistrationUse::kRegister) {
    if (r.name.given.empty())
      return Status::InvalidArgument("name.given is required", "name.given");
    if (r.name.family.empty()) {
      return Status::InvalidArgument("name.family is required", "name.family");
    }
    if (r.birth_date.empty()) {
      return Status::InvalidArgument("birth_date is required", "birth_date");
    }
    if (r.sex.empty()) return Status::InvalidArgument("sex is required", "sex");
  }
  return r;
}

// "12A Main St" → ("12A", "Main St"); a line without a leading number has none.
std::pair<std::string, std::string> SplitStreetNumber(const std::string& line) {
  size_t end = 0;
  while (end < line.size() && std::isdigit(static_cast<unsigned char>(line[end]))) ++end;
  if (end == 0) return {"", line};
  while (end < line.size() && std::isalpha(static_cast<unsigned char>(line[end])) &&
         (end + 1 == line.size() || line[end + 1] == ' ')) {
    ++end;  // a letter after the number: 12A
  }
  return {line.substr(0, end), Trim(std::string_view(line).substr(end))};
}

std::string CompactDate(const std::string& date) {
  std::string digits = DigitsOf(date);
  return digits.size() == 8 ? digits : std::string();
}

std::string FormatSsn(const std::string& digits) {
  if (digits.size() != 9) return digits;
  return digits.substr(0, 3) + "-" + digits.substr(3, 2) + "-" + digits.substr(5);
}

std::string StringAt(const Json& object, std::string_view key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The name the patient is known by officially: use official, else usual, else the first.
const Json* OfficialName(const Json& patient) {
  auto names = patient.find("name");
  if (names == patient.end() || !names->is_array() || names->empty()) return nullptr;
  for (const char* use : {"official", "usual"}) {
    for (const Json& name : *names) {
      if (StringAt(name, "use") == use) return &name;
    }
  }
  for (const Json& name : *names) {
    const std::string use = StringAt(name, "use");
    if (use != "maiden" && use != "old" && use != "nickname") return &name;
  }
  return &names->front();
}

bool HasTypeCode(const Json& identifier, std::string_view code) {
  auto type = identifier.find("type");
  if (type == identifier.end() || !type->is_object()) return false;
  auto codings = type->find("coding");
  if (codings == type->end() || !codings->is_array()) return false;
  for (const Json& coding : *codings) {
    if (StringAt(coding, "code") == code) return true;
  }
  return false;
}

std::string IdentifierValue(const Json& patient, std::string_view system, std::string_view code) {
  auto identifiers = patient.find("identifier");
  if (identifiers == patient.end() || !identifiers->is_array()) return {};
  for (const Json& identifier : *identifiers) {
    if ((!system.empty() && StringAt(identifier, "system") == system) ||
        (!code.empty() && HasTypeCode(identifier, code))) {
      return StringAt(identifier, "value");
    }
  }
  return {};
}

std::string Telecom(const Json& patient, std::string_view system) {
  auto telecom = patient.find("telecom");
  if (telecom == patient.end() || !telecom->is_array()) return {};
  for (const Json& contact : *telecom) {
    if (StringAt(contact, "system") == system) return StringAt(contact, "value");
  }
  return {};
}

std::string JoinGiven(const Json& name, size_t from) {
  std::string out;
  auto given = name.find("given");
  if (given == name.end() || !given->is_array()) return out;
  for (size_t i = from; i < given->size(); ++i) {
    if (!(*given)[i].is_string()) continue;
    if (!out.empty()) out += ' ';
    out += (*given)[i].get<std::string>();
  }
  return out;
}

std::string FirstGiven(const Json& name) {
  auto given = name.find("given");
  if (given == name.end() || !given->is_array() || given->empty() || !(*given)[0].is_string()) {
    return {};
  }
  return (*given)[0].get<std::string>();
}

std::string Suffix(const Json& name) {
  auto suffix = name.find("suffix");
  if (suffix == name.end() || !suffix->is_array() || suffix->empty() || !(*suffix)[0].is_string()) {
    return {};
  }
  return (*suffix)[0].get<std::string>();
}

}  // namespace

Status CheckSsn(std::string_view digits) {
  if (digits.size() != 9 || DigitsOf(digits).size() != 9) {
    return Status::InvalidArgument("ssn must have 9 digits", "ssn");
  }
  const std::string_view area = digits.substr(0, 3);
  if (area == "000" || area == "666" || area[0] == '9') {
    return Status::InvalidArgument(
        "ssn: no SSN starts with " + std::string(area) + " (000, 666 and 900-999 are never issued)",
        "ssn");
  }
  if (digits.substr(3, 2) == "00") {
    return Status::InvalidArgument("ssn: the middle group is never 00", "ssn");
  }
  if (digits.substr(5) == "0000") {
    return Status::InvalidArgument("ssn: the last four digits are never 0000", "ssn");
  }
  static constexpr std::array<std::string_view, 3> kPublished = {"123456789", "078051120",
                                                                 "219099999"};
  for (std::string_view published : kPublished) {
    if (digits == published) {
      return Status::InvalidArgument(
          "ssn: " + FormatSsn(std::string(digits)) +
              " is an example number printed in advertising, not a person's SSN",
          "ssn");
    }
  }
  return Status::Ok();
}

Result<Registration> ParseRegistration(const Json& body, RegistrationUse use, Timestamp today) {
  if (!body.is_object()) return Status::InvalidArgument("the body must be a JSON object");
  return ParseBody(body, use, today);
}

Json PatientResource(const Registration& r, const std::string& mrn) {
  Json patient = {{"resourceType", "Patient"}, {"active", true}};
  Json identifiers = Json::array();
  identifiers.push_back(
      {{"use", "usual"},
       {"type",
        {{"coding", Json::array({{{"system", kIdentifierTypeSystem}, {"code", "MR"}}})},
         {"text", "Medical record number"}}},
       {"system", std::string(kMrnSystemPrefix) + r.facility},
       {"value", mrn}});
  if (!r.ssn.empty()) {
    identifiers.push_back(
        {{"type",
          {{"coding", Json::array({{{"system", kIdentifierTypeSystem}, {"code", "SS"}}})},
           {"text", "Social Security number"}}},
         {"system", kSsnSystem},
         {"value", FormatSsn(r.ssn)}});
  }
  for (const auto& id : r.identifiers) {
    identifiers.push_back({{"system", id.system}, {"value", id.value}});
  }
  patient["identifier"] = identifiers;

  Json names = Json::array();
  Json official = {{"use", "official"}, {"family", r.name.family}};
  Json given = Json::array({r.name.given});
  if (!r.name.middle.empty()) given.push_back(r.name.middle);
  official["given"] = given;
  if (!r.name.suffix.empty()) official["suffix"] = Json::array({r.name.suffix});
  names.push_back(official);
  if (!r.preferred_name.empty()) {
    names.push_back(
        {{"use", "usual"}, {"family", r.name.family}, {"given", Json::array({r.preferred_name})}});
  }
  for (const auto& previous : r.previous_names) {
    Json name = {{"use", previous.use}, {"family", previous.family}};
    if (!previous.given.empty()) name["given"] = Json::array({previous.given});
    names.push_back(name);
  }
  patient["name"] = names;

  Json telecom = Json::array();
  if (!r.phone.empty())
    telecom.push_back({{"system", "phone"}, {"value", r.phone}, {"use", "home"}});
  if (!r.email.empty()) telecom.push_back({{"system", "email"}, {"value", r.email}});
  if (!telecom.empty()) patient["telecom"] = telecom;

  patient["gender"] = r.sex;
  patient["birthDate"] = r.birth_date;

  if (!r.address.lines.empty() || !r.address.city.empty() || !r.address.postal_code.empty()) {
    Json address = {{"use", "home"}};
    if (!r.address.lines.empty()) address["line"] = r.address.lines;
    if (!r.address.city.empty()) address["city"] = r.address.city;
    if (!r.address.state.empty()) address["state"] = r.address.state;
    if (!r.address.postal_code.empty()) address["postalCode"] = r.address.postal_code;
    patient["address"] = Json::array({address});
  }
  return patient;
}

Json CoverageResource(const CoverageInput& c, const std::string& patient_id) {
  const std::string patient_reference = "Patient/" + patient_id;
  Json coverage = {
      {"resourceType", "Coverage"},
      {"status", "active"},
      {"subscriberId", c.member_id},
      {"beneficiary", {{"reference", patient_reference}}},
      {"relationship",
       {{"coding",
         Json::array({{{"system", kCoverageRelationshipSystem}, {"code", c.subscriber}}})}}},
      {"payor", Json::array({{{"display", c.payer}}})},
      {"extension",
       Json::array({{{"url", kVerificationExtension},
                     {"extension", Json::array({{{"url", "status"},
                                                 {"valueCode", c.verification_status}}})}}})}};
  if (c.subscriber == "self") coverage["subscriber"] = {{"reference", patient_reference}};
  if (!c.verified_on.empty()) {
    coverage["extension"][0]["extension"].push_back(
        {{"url", "date"}, {"valueDate", c.verified_on}});
  }
  if (!c.group.empty()) {
    coverage["class"] = Json::array(
        {{{"type",
           {{"coding",
             Json::array({{{"system", "http://terminology.hl7.org/CodeSystem/coverage-class"},
                           {"code", "group"}}})}}},
          {"value", c.group}}});
  }
  return coverage;
}

PersonRecord PersonFromRegistration(const Registration& r) {
  PersonRecord person;
  person.given_name = r.name.given;
  person.middle_name = r.name.middle;
  person.surname = r.name.family;
  person.suffix = r.name.suffix;
  person.sex = r.sex;
  person.date_of_birth = CompactDate(r.birth_date);
  person.ssn = r.ssn;
  person.phone = DigitsOf(r.phone);
  person.email = r.email;
  if (!r.address.lines.empty()) {
    auto [number, street] = SplitStreetNumber(r.address.lines[0]);
    person.street_number = number;
    person.address_1 = street;
    if (r.address.lines.size() > 1) person.address_2 = r.address.lines[1];
  }
  person.suburb = r.address.city;
  person.state = r.address.state;
  person.postcode = r.address.postal_code.substr(0, 5);
  for (const auto& previous : r.previous_names) person.previous_surnames.push_back(previous.family);
  return person;
}

PersonRecord PersonFromPatient(const std::string& id, const Json& patient) {
  PersonRecord person;
  person.id = id;
  if (const Json* name = OfficialName(patient)) {
    person.given_name = FirstGiven(*name);
    person.middle_name = JoinGiven(*name, 1);
    person.surname = StringAt(*name, "family");
    person.suffix = Suffix(*name);
  }
  if (auto names = patient.find("name"); names != patient.end() && names->is_array()) {
    for (const Json& name : *names) {
      const std::string use = StringAt(name, "use");
      if (use == "maiden" || use == "old") {
        const std::string family = StringAt(name, "family");
        if (!family.empty() && family != person.surname) person.previous_surnames.push_back(family);
      }
    }
  }
  person.sex = StringAt(patient, "gender");
  person.date_of_birth = CompactDate(StringAt(patient, "birthDate"));
  person.ssn = DigitsOf(IdentifierValue(patient, kSsnSystem, "SS"));
  person.phone = DigitsOf(Telecom(patient, "phone"));
  if (person.phone.size() == 11 && person.phone[0] == '1') person.phone.erase(0, 1);
  person.email = Telecom(patient, "email");
  if (auto addresses = patient.find("address");
      addresses != patient.end() && addresses->is_array() && !addresses->empty()) {
    const Json& address = addresses->front();
    if (auto lines = address.find("line"); lines != address.end() && lines->is_array()) {
      if (!lines->empty() && (*lines)[0].is_string()) {
        auto [number, street] = SplitStreetNumber((*lines)[0].get<std::string>());
        person.street_number = number;
        person.address_1 = street;
      }
      if (lines->size() > 1 && (*lines)[1].is_string()) person.address_2 = (*lines)[1];
    }
    person.suburb = StringAt(address, "city");
    person.state = StringAt(address, "state");
    person.postcode = StringAt(address, "postalCode").substr(0, 5);
  }
  return person;
}

Json PatientSummaryJson(const std::string& id, const Json& patient) {
  std::string name;
  if (const Json* official = OfficialName(patient)) {
    for (const std::string& part : {FirstGiven(*official), JoinGiven(*official, 1),
                                    StringAt(*official, "family"), Suffix(*official)}) {
      if (part.empty()) continue;
      if (!name.empty()) name += ' ';
      name += part;
    }
  }
  std::string address;
  if (auto addresses = patient.find("address");
      addresses != patient.end() && addresses->is_array() && !addresses->empty()) {
    const Json& first = addresses->front();
    if (auto lines = first.find("line"); lines != first.end() && lines->is_array()) {
      for (const Json& line : *lines) {
        if (!line.is_string()) continue;
        if (!address.empty()) address += ", ";
        address += line.get<std::string>();
      }
    }
    std::string place = StringAt(first, "city");
    for (const char* key : {"state", "postalCode"}) {
      const std::string part = StringAt(first, key);
      if (part.empty()) continue;
      if (!place.empty()) place += ' ';
      place += part;
    }
    if (!place.empty()) {
      if (!address.empty()) address += ", ";
      address += place;
    }
  }
  const std::string ssn = DigitsOf(IdentifierValue(patient, kSsnSystem, "SS"));
  Json identifiers = Json::array();
  if (auto ids = patient.find("identifier"); ids != patient.end() && ids->is_array()) {
    for (const Json& identifier : *ids) {
      if (StringAt(identifier, "system") == kSsnSystem || HasTypeCode(identifier, "SS")) continue;
      identifiers.push_back(
          {{"system", StringAt(identifier, "system")}, {"value", StringAt(identifier, "value")}});
    }
  }
  const std::string replaced_by = ReplacedBy(patient);
  auto active = patient.find("active");
  return {{"patient_id", id},
          {"mrn", IdentifierValue(patient, "", "MR")},
          {"name", name},
          {"birth_date", StringAt(patient, "birthDate")},
          {"sex", StringAt(patient, "gender")},
          {"address", address},
          {"phone", Telecom(patient, "phone")},
          {"email", Telecom(patient, "email")},
          {"ssn_last4", ssn.size() >= 4 ? ssn.substr(ssn.size() - 4) : std::string()},
          {"identifiers", identifiers},
          {"active", active == patient.end() || !active->is_boolean() || active->get<bool>()},
          {"replaced_by", replaced_by.empty() ? Json(nullptr) : Json(replaced_by)}};
}

std::string ReplacedBy(const Json& patient) {
  auto links = patient.find("link");
  if (links == patient.end() || !links->is_array()) return {};
  for (const Json& link : *links) {
    if (StringAt(link, "type") != "replaced-by") continue;
    auto other = link.find("other");
    if (other == link.end() || !other->is_object()) continue;
    const std::string reference = StringAt(*other, "reference");
    const size_t slash = reference.rfind("Patient/");
    if (slash != std::string::npos) return reference.substr(slash + 8);
  }
  return {};
}

}  // namespace custos::patients
