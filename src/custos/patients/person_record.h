// PersonRecord and the CSV reader for person lists (the FEBRL layout): the input of batch
// deduplication and linkage in the master patient index.
//
// A header row names the columns; known names map onto PersonRecord fields, unknown columns are
// ignored, and `blocking_number` is always dropped: Febrl's generator never corrupts it, so it is
// the same for a person and all their duplicates and would leak the answer. Fields are trimmed
// (FEBRL files have a space after each comma). An empty field means "missing".
//
// Columns: rec_id (or id), given_name, surname, street_number, address_1, address_2, suburb,
// postcode, state, date_of_birth, soc_sec_id (or ssn), phone_number (or phone), and for
// registration data middle_name, suffix, sex (or gender), email and previous_surnames (or
// maiden_name; several separated by '|').
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "custos/core/status.h"

namespace custos::patients {

// One person as a registration system recorded them. All text; empty = missing.
struct PersonRecord {
  std::string id;
  std::string given_name;
  std::string surname;
  std::string street_number;
  std::string address_1;
  std::string address_2;
  std::string suburb;
  std::string postcode;
  std::string state;
  std::string date_of_birth;  // YYYYMMDD as written, possibly an impossible date
  std::string ssn;
  std::string phone;
  // Registration adds these (FEBRL files have none of them).
  std::string middle_name;
  std::string suffix;                          // jr, sr, ii, … when recorded apart from the name
  std::string sex;                             // male, female, other, unknown; empty = missing
  std::vector<std::string> previous_surnames;  // maiden and former surnames
  std::string email;
};

struct PersonCsvOptions {
  // Columns treated as missing in every row: a header name ("soc_sec_id") or another name of the
  // same field ("ssn").
  std::vector<std::string> ignore_columns;
};

// Parses CSV text. `source` names the input in error messages. kInvalidArgument naming source and
// line for a missing header, a header without an id column (`rec_id` or `id`), a row with more
// fields than the header, or an unterminated quote.
Result<std::vector<PersonRecord>> ParsePersonCsv(std::string_view text, std::string_view source,
                                                 const PersonCsvOptions& options = {});

// Reads a person CSV file (gzip when compressed) a batch of records at a time, so a file of
// millions of rows never has to be held whole, as text or as PersonRecords. Same rules and
// errors as ParsePersonCsv.
class PersonCsvReader {
 public:
  // kNotFound when the file cannot be opened.
  static Result<PersonCsvReader> Open(const std::string& path,
                                      const PersonCsvOptions& options = {});
  PersonCsvReader(PersonCsvReader&&) noexcept;
  PersonCsvReader& operator=(PersonCsvReader&&) noexcept;
  ~PersonCsvReader();

  // Replaces `batch` with the next records, at most `max_records`; leaves it empty at the end.
  Status Next(std::vector<PersonRecord>& batch, size_t max_records);

 private:
  struct State;
  explicit PersonCsvReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Reads and parses a file; kNotFound when it cannot be read.
Result<std::vector<PersonRecord>> ReadPersonCsv(const std::string& path,
                                                const PersonCsvOptions& options = {});

// Reads a whole file, decompressing it when the name ends in `.gz`; kNotFound when it cannot be
// read, kInvalidArgument for a damaged gzip file.
Result<std::string> ReadTextFile(const std::string& path);

// Splits one CSV line into trimmed fields (double quotes group commas; "" is a quote).
// False for an unterminated quote.
bool SplitCsvLine(std::string_view line, std::vector<std::string>& fields);

}  // namespace custos::patients
