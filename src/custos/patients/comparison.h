// Field-by-field comparison of two person records into agreement levels: the evidence the
// Fellegi-Sunter model (match_model.h) weighs.
//
// Each field has an ordered list of levels, best agreement first and "missing" last (either side
// empty: no evidence either way). Records are normalised once (PrepareRecords) so that comparing
// a pair allocates nothing.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custos/patients/comparators.h"
#include "custos/patients/normalize.h"
#include "custos/patients/person_record.h"

namespace custos::patients {

enum class Field : std::uint8_t {
  kGivenName,
  kSurname,
  kDateOfBirth,
  kSsn,
  kStreetNumber,
  kStreet,  // address_1
  kAddress2,
  kSuburb,
  kPostcode,
  kState,
  kPhone,
  // Registration fields (FEBRL files have none; a model fitted without them uses priors).
  kMiddleName,
  kSex,
  kEmail,
};
inline constexpr size_t kFieldCount = 14;
inline constexpr size_t kMaxLevels = 6;

// Levels of text fields (names, street, suburb).
enum class TextLevel : std::uint8_t {
  kExact,
  kJaroWinkler94,  // Jaro-Winkler ≥ 0.94
  kJaroWinkler85,  // Jaro-Winkler ≥ 0.85
  kSoundsAlike,    // same Soundex, or (given names) nickname of the same name
  kDifferent,
  kMissing,
};
// Levels of the date of birth, compared as its eight digits (impossible dates included).
enum class DateLevel : std::uint8_t {
  kExact,
  kOneDigitOff,      // one digit substituted, or two adjacent digits transposed
  kDayMonthSwapped,  // same year, day and month exchanged
  kYearOff,          // same day and month, year ±1
  kDifferent,
  kMissing,
};
// Levels of identifiers and numbers (SSN, phone, postcode, street number).
enum class NumberLevel : std::uint8_t {
  kExact,
  kOneDigitOff,  // one digit substituted, or two adjacent digits transposed
  kDifferent,
  kMissing,
};
// Levels of coded fields (state, sex, email).
enum class CodeLevel : std::uint8_t { kExact, kDifferent, kMissing };

using LevelVector = std::array<std::uint8_t, kFieldCount>;

std::string_view FieldName(Field field);
size_t LevelCount(Field field);
std::string_view LevelName(Field field, std::uint8_t level);
inline std::uint8_t MissingLevel(Field field) {
  return static_cast<std::uint8_t>(LevelCount(field) - 1);
}

// A record normalised for comparison. Holds a pointer into the NicknameTable it was prepared
// with, which must outlive it.
struct PreparedRecord {
  std::string given_name;  // normalised, suffix removed
  std::string surname;     // normalised, suffix removed
  std::string suffix;      // jr, sr, ii, ...: the suffix field, else split off either name
  std::string middle_name;
  std::vector<std::string> previous_surnames;  // normalised maiden and former surnames
  std::string sex;                             // male, female, other; empty = unknown
  std::string street_number;
  std::string street;
  std::string address_2;
  std::string suburb;
  std::string postcode;
  std::string state;
  std::string ssn;    // digits
  std::string phone;  // digits
  std::string email;  // lower case, trimmed
  BirthDate date_of_birth;
  SoundexCode given_soundex{};
  SoundexCode surname_soundex{};
  const std::vector<std::uint32_t>* given_canonical = nullptr;  // nickname table entry
  bool placeholder_name = false;  // "baby boy", "john doe": never evidence of identity
  // Share of records with the same given name / surname (term frequency), 0 when missing.
  float given_frequency = 0;
  float surname_frequency = 0;

  // The normalised text of `field` (dates: the eight digits).
  std::string_view Text(Field field) const;
};

PreparedRecord PrepareRecord(const PersonRecord& record, const NicknameTable& nicknames);

// Prepares every record (in parallel) and fills in name frequencies over all of `sets` together
// (linkage passes both files so frequencies describe the population being matched).
std::vector<std::vector<PreparedRecord>> PrepareRecordSets(
    const std::vector<const std::vector<PersonRecord>*>& sets, const NicknameTable& nicknames);

// A person list as batch matching keeps it: each row's id and its prepared record, nothing else.
struct PreparedList {
  std::vector<std::string> ids;
  std::vector<PreparedRecord> records;  // name frequencies not yet filled in
};

// Streams a person CSV file (PersonCsvReader) and prepares its records a batch at a time, in
// parallel, keeping neither the text nor the PersonRecords: for lists of millions. Errors as
// ReadPersonCsv.
Result<PreparedList> ReadPreparedCsv(const std::string& path, const PersonCsvOptions& options,
                                     const NicknameTable& nicknames);

// Sets given_frequency and surname_frequency of every record: the share of all records in `sets`
// with the same name.
void AssignNameFrequencies(std::span<std::vector<PreparedRecord>* const> sets);

// Compares two records field by field. When given name and surname agree better crossed over
// (the clerk swapped them) the crossed levels are used. A surname equal to one of the other
// record's previous surnames (a maiden name) agrees at the jw>=0.94 level: strong evidence, but
// not the exact agreement the twin rule looks for. A middle initial agreeing with a middle name
// is jw>=0.85.
LevelVector CompareRecords(const PreparedRecord& a, const PreparedRecord& b);

}  // namespace custos::patients
