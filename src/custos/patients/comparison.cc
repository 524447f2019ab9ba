#include "custos/patients/comparison.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <iterator>
#include <unordered_map>

#include "custos/patients/parallel.h"

namespace custos::patients {

namespace {

constexpr double kHighSimilarity = 0.94;
constexpr double kMediumSimilarity = 0.85;

enum class FieldKind : std::uint8_t { kText, kDate, kNumber, kCode };

FieldKind KindOf(Field field) {
  switch (field) {
    case Field::kGivenName:
    case Field::kSurname:
    case Field::kStreet:
    case Field::kAddress2:
    case Field::kSuburb:
    case Field::kMiddleName:
      return FieldKind::kText;
    case Field::kDateOfBirth:
      return FieldKind::kDate;
    case Field::kSsn:
    case Field::kStreetNumber:
    case Field::kPostcode:
    case Field::kPhone:
      return FieldKind::kNumber;
    case Field::kState:
    case Field::kSex:
    case Field::kEmail:
      return FieldKind::kCode;
  }
  return FieldKind::kCode;
}

template <typename Level>
std::uint8_t L(Level level) {
  return static_cast<std::uint8_t>(level);
}

// `sounds_alike()` is asked only when Jaro-Winkler is below 0.85: most compared pairs are
// different people, and the Soundex and nickname checks are wasted on the rest.
template <typename SoundsAlike>
std::uint8_t CompareText(std::string_view a, std::string_view b, SoundsAlike&& sounds_alike) {
  if (a.empty() || b.empty()) return L(TextLevel::kMissing);
  if (a == b) return L(TextLevel::kExact);
  // Most compared pairs are different people, whose names and streets share few letters.
  if (JaroWinklerUpperBound(a, b) >= kMediumSimilarity) {
    const double similarity = JaroWinkler(a, b);
    if (similarity >= kHighSimilarity) return L(TextLevel::kJaroWinkler94);
    if (similarity >= kMediumSimilarity) return L(TextLevel::kJaroWinkler85);
  }
  if (sounds_alike()) return L(TextLevel::kSoundsAlike);
  return L(TextLevel::kDifferent);
}

std::uint8_t CompareText(std::string_view a, std::string_view b) {
  return CompareText(a, b, [] { return false; });
}

std::uint8_t CompareNumber(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return L(NumberLevel::kMissing);
  if (a == b) return L(NumberLevel::kExact);
  if (OneDigitOffOrTransposed(a, b)) return L(NumberLevel::kOneDigitOff);
  return L(NumberLevel::kDifferent);
}

std::uint8_t CompareCode(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return L(CodeLevel::kMissing);
  return a == b ? L(CodeLevel::kExact) : L(CodeLevel::kDifferent);
}

std::uint8_t CompareDate(const BirthDate& a, const BirthDate& b) {
  const std::string_view x = a.digits;
  const std::string_view y = b.digits;
  if (x.empty() || y.empty()) return L(DateLevel::kMissing);
  if (x == y) return L(DateLevel::kExact);
  if (OneDigitOffOrTransposed(x, y)) return L(DateLevel::kOneDigitOff);
  if (a.year == b.year && a.month == b.day && a.day == b.month) {
    return L(DateLevel::kDayMonthSwapped);
  }
  if (a.month == b.month && a.day == b.day && (a.year - b.year == 1 || b.year - a.year == 1)) {
    return L(DateLevel::kYearOff);
  }
  return L(DateLevel::kDifferent);
}

// "J" against "James": an initial agreeing with a full middle name is medium agreement.
std::uint8_t CompareMiddleName(std::string_view a, std::string_view b) {
  if (!a.empty() && !b.empty() && (a.size() == 1 || b.size() == 1) && a != b) {
    return a[0] == b[0] ? L(TextLevel::kJaroWinkler85) : L(TextLevel::kDifferent);
  }
  return CompareText(a, b);
}

// Four bytes compared as one word (std::array's operator== calls memcmp, which showed in
// profiles of batch runs).
bool SameSoundex(const SoundexCode& a, const SoundexCode& b) {
  std::uint32_t x = 0;
  std::uint32_t y = 0;
  std::memcpy(&x, a.data(), sizeof x);
  std::memcpy(&y, b.data(), sizeof y);
  return a[0] != '0' && x == y;
}

}  // namespace

std::string_view FieldName(Field field) {
  constexpr std::string_view kNames[kFieldCount] = {
      "given_name", "surname",  "date_of_birth", "ssn",   "street_number", "address_1", "address_2",
      "suburb",     "postcode", "state",         "phone", "middle_name",   "sex",       "email"};
  return kNames[static_cast<size_t>(field)];
}

size_t LevelCount(Field field) {
  switch (KindOf(field)) {
    case FieldKind::kText:
    case FieldKind::kDate:
      return 6;
    case FieldKind::kNumber:
      return 4;
    case FieldKind::kCode:
      return 3;
  }
  return 3;
}

std::string_view LevelName(Field field, std::uint8_t level) {
  constexpr std::string_view kText[] = {"exact",        "jw>=0.94",  "jw>=0.85",
                                        "sounds_alike", "different", "missing"};
  constexpr std::string_view kDate[] = {"exact",           "one_digit_off", "day_month_swapped",
                                        "year_off_by_one", "different",     "missing"};
  constexpr std::string_view kNumber[] = {"exact", "one_digit_off", "different", "missing"};
  constexpr std::string_view kCode[] = {"exact", "different", "missing"};
  if (level >= LevelCount(field)) return "?";
  switch (KindOf(field)) {
    case FieldKind::kText:
      return field == Field::kGivenName && level == L(TextLevel::kSoundsAlike)
                 ? "sounds_alike_or_nickname"
                 : kText[level];
    case FieldKind::kDate:
      return kDate[level];
    case FieldKind::kNumber:
      return kNumber[level];
    case FieldKind::kCode:
      return kCode[level];
  }
  return "?";
}

std::string_view PreparedRecord::Text(Field field) const {
  switch (field) {
    case Field::kGivenName:
      return given_name;
    case Field::kSurname:
      return surname;
    case Field::kDateOfBirth:
      return date_of_birth.digits;
    case Field::kSsn:
      return ssn;
    case Field::kStreetNumber:
      return street_number;
    case Field::kStreet:
      return street;
    case Field::kAddress2:
      return address_2;
    case Field::kSuburb:
      return suburb;
    case Field::kPostcode:
      return postcode;
    case Field::kState:
      return state;
    case Field::kPhone:
      return phone;
    case Field::kMiddleName:
      return middle_name;
    case Field::kSex:
      return sex;
    case Field::kEmail:
      return email;
  }
  return {};
}

PreparedRecord PrepareRecord(const PersonRecord& record, const NicknameTable& nicknames) {
  PreparedRecord prepared;
  NameParts given = SplitNameSuffix(NormalizeText(record.given_name));
  NameParts surname = SplitNameSuffix(NormalizeText(record.surname));
  prepared.given_name = std::move(given.name);
  prepared.surname = std::move(surname.name);
  prepared.suffix = NormalizeSuffix(record.suffix);
  if (prepared.suffix.empty()) {
    prepared.suffix = !surname.suffix.empty() ? std::move(surname.suffix) : std::move(given.suffix);
  }
  prepared.middle_name = SplitNameSuffix(NormalizeText(record.middle_name)).name;
  for (const std::string& previous : record.previous_surnames) {
    std::string name = SplitNameSuffix(NormalizeText(previous)).name;
    if (!name.empty()) prepared.previous_surnames.push_back(std::move(name));
  }
  prepared.sex = NormalizeSex(record.sex);
  for (char c : record.email) {
    if (c != ' ' && c != '\t')
      prepared.email.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  prepared.placeholder_name = IsPlaceholderName(prepared.given_name, prepared.surname);
  if (prepared.placeholder_name) {
    prepared.given_name.clear();
    prepared.surname.clear();
  }
  prepared.street_number = NormalizeText(record.street_number);
  prepared.street = NormalizeText(record.address_1);
  prepared.address_2 = NormalizeText(record.address_2);
  prepared.suburb = NormalizeText(record.suburb);
  prepared.postcode = NormalizeText(record.postcode);
  prepared.state = NormalizeText(record.state);
  prepared.ssn = DigitsOnly(record.ssn);
  if (IsPlaceholderSsn(prepared.ssn)) prepared.ssn.clear();
  prepared.phone = DigitsOnly(record.phone);
  prepared.date_of_birth = ParseBirthDate(record.date_of_birth);
  prepared.given_soundex = Soundex(prepared.given_name);
  prepared.surname_soundex = Soundex(prepared.surname);
  prepared.given_canonical = nicknames.CanonicalIds(prepared.given_name);
  return prepared;
}

std::vector<std::vector<PreparedRecord>> PrepareRecordSets(
    const std::vector<const std::vector<PersonRecord>*>& sets, const NicknameTable& nicknames) {
  constexpr size_t kRecordsPerChunk = 4096;
  std::vector<std::vector<PreparedRecord>> prepared(sets.size());
  std::vector<std::vector<PreparedRecord>*> pointers;
  for (size_t set = 0; set < sets.size(); ++set) {
    const std::vector<PersonRecord>& records = *sets[set];
    prepared[set].resize(records.size());
    internal::ForEachChunk(records.size(), kRecordsPerChunk, [&](size_t, size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) prepared[set][i] = PrepareRecord(records[i], nicknames);
    });
    pointers.push_back(&prepared[set]);
  }
  AssignNameFrequencies(pointers);
  return prepared;
}

Result<PreparedList> ReadPreparedCsv(const std::string& path, const PersonCsvOptions& options,
                                     const NicknameTable& nicknames) {
  constexpr size_t kBatchRecords = 1 << 16;
  constexpr size_t kRecordsPerChunk = 2048;
  CUSTOS_ASSIGN_OR_RETURN(PersonCsvReader reader, PersonCsvReader::Open(path, options));
  PreparedList list;
  // Prepared batches are gathered into one array at the end, each freed as it is moved, so the
  // array is allocated once at its final size instead of growing by copies.
  std::vector<std::vector<PreparedRecord>> batches;
  std::vector<PersonRecord> batch;
  size_t total = 0;
  while (true) {
    CUSTOS_RETURN_IF_ERROR(reader.Next(batch, kBatchRecords));
    if (batch.empty()) break;
    std::vector<PreparedRecord>& prepared = batches.emplace_back(batch.size());
    internal::ForEachChunk(batch.size(), kRecordsPerChunk, [&](size_t, size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) prepared[i] = PrepareRecord(batch[i], nicknames);
    });
    for (PersonRecord& record : batch) list.ids.push_back(std::move(record.id));
    total += batch.size();
  }
  list.ids.shrink_to_fit();
  list.records.reserve(total);
  for (std::vector<PreparedRecord>& prepared : batches) {
    std::move(prepared.begin(), prepared.end(), std::back_inserter(list.records));
    std::vector<PreparedRecord>().swap(prepared);
  }
  return list;
}

void AssignNameFrequencies(std::span<std::vector<PreparedRecord>* const> sets) {
  std::unordered_map<std::string_view, std::uint32_t> given_counts;
  std::unordered_map<std::string_view, std::uint32_t> surname_counts;
  size_t total = 0;
  for (const std::vector<PreparedRecord>* records : sets) {
    total += records->size();
    for (const PreparedRecord& record : *records) {
      if (!record.given_name.empty()) ++given_counts[record.given_name];
      if (!record.surname.empty()) ++surname_counts[record.surname];
    }
  }
  const float denominator = total > 0 ? static_cast<float>(total) : 1.0f;
  for (std::vector<PreparedRecord>* records : sets) {
    for (PreparedRecord& record : *records) {
      record.given_frequency =
          record.given_name.empty()
              ? 0
              : static_cast<float>(given_counts[record.given_name]) / denominator;
      record.surname_frequency =
          record.surname.empty() ? 0
                                 : static_cast<float>(surname_counts[record.surname]) / denominator;
    }
  }
}

LevelVector CompareRecords(const PreparedRecord& a, const PreparedRecord& b) {
  LevelVector levels{};
  auto set = [&](Field field, std::uint8_t level) { levels[static_cast<size_t>(field)] = level; };
  std::uint8_t given = CompareText(a.given_name, b.given_name, [&] {
    return SameSoundex(a.given_soundex, b.given_soundex) ||
           NicknameTable::Intersect(a.given_canonical, b.given_canonical);
  });
  std::uint8_t surname = CompareText(
      a.surname, b.surname, [&] { return SameSoundex(a.surname_soundex, b.surname_soundex); });
  if (given != L(TextLevel::kExact) || surname != L(TextLevel::kExact)) {
    // Only a clearly better crossed agreement counts as a swap; missing names do not. The second
    // crossed comparison is skipped when the first already rules a swap out.
    const std::uint8_t crossed_given = CompareText(
        a.given_name, b.surname, [&] { return SameSoundex(a.given_soundex, b.surname_soundex); });
    if (crossed_given <= L(TextLevel::kJaroWinkler85)) {
      const std::uint8_t crossed_surname = CompareText(
          a.surname, b.given_name, [&] { return SameSoundex(a.surname_soundex, b.given_soundex); });
      if (crossed_surname <= L(TextLevel::kJaroWinkler85) &&
          crossed_given + crossed_surname < given + surname) {
        given = crossed_given;
        surname = crossed_surname;
      }
    }
  }
  // A maiden or former surname: Jane Doe née Smith against an old record of Jane Smith.
  if (surname > L(TextLevel::kJaroWinkler94) && !a.surname.empty() && !b.surname.empty() &&
      (!a.previous_surnames.empty() || !b.previous_surnames.empty())) {
    const auto former = [](const std::vector<std::string>& previous, const std::string& name) {
      return std::find(previous.begin(), previous.end(), name) != previous.end();
    };
    if (former(a.previous_surnames, b.surname) || former(b.previous_surnames, a.surname)) {
      surname = L(TextLevel::kJaroWinkler94);
    }
  }
  set(Field::kGivenName, given);
  set(Field::kSurname, surname);
  set(Field::kDateOfBirth, CompareDate(a.date_of_birth, b.date_of_birth));
  set(Field::kSsn, CompareNumber(a.ssn, b.ssn));
  set(Field::kStreetNumber, CompareNumber(a.street_number, b.street_number));
  set(Field::kStreet, CompareText(a.street, b.street));
  set(Field::kAddress2, CompareText(a.address_2, b.address_2));
  set(Field::kSuburb, CompareText(a.suburb, b.suburb));
  set(Field::kPostcode, CompareNumber(a.postcode, b.postcode));
  set(Field::kState, CompareCode(a.state, b.state));
  set(Field::kPhone, CompareNumber(a.phone, b.phone));
  set(Field::kMiddleName, CompareMiddleName(a.middle_name, b.middle_name));
  set(Field::kSex, CompareCode(a.sex, b.sex));
  set(Field::kEmail, CompareCode(a.email, b.email));
  return levels;
}

}  // namespace custos::patients
