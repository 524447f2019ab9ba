#include "custos/patients/person_record.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <memory>
#include <sstream>

#include <zlib.h>

namespace custos::patients {

namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n'))
    text.remove_suffix(1);
  return text;
}

// The PersonRecord member a header name fills, or nullptr for columns we do not use.
std::string PersonRecord::*FieldForColumn(std::string_view name) {
  struct Column {
    std::string_view name;
    std::string PersonRecord::*field;
  };
  static constexpr Column kColumns[] = {
      {"rec_id", &PersonRecord::id},
      {"id", &PersonRecord::id},
      {"given_name", &PersonRecord::given_name},
      {"surname", &PersonRecord::surname},
      {"street_number", &PersonRecord::street_number},
      {"address_1", &PersonRecord::address_1},
      {"address_2", &PersonRecord::address_2},
      {"suburb", &PersonRecord::suburb},
      {"postcode", &PersonRecord::postcode},
      {"state", &PersonRecord::state},
      {"date_of_birth", &PersonRecord::date_of_birth},
      {"soc_sec_id", &PersonRecord::ssn},
      {"ssn", &PersonRecord::ssn},
      {"phone_number", &PersonRecord::phone},
      {"phone", &PersonRecord::phone},
      {"middle_name", &PersonRecord::middle_name},
      {"suffix", &PersonRecord::suffix},
      {"sex", &PersonRecord::sex},
      {"gender", &PersonRecord::sex},
      {"email", &PersonRecord::email},
  };
  for (const Column& column : kColumns) {
    if (column.name == name) return column.field;
  }
  return nullptr;
}

// The list column: '|'-separated maiden and former surnames.
bool IsPreviousSurnamesColumn(std::string_view name) {
  return name == "previous_surnames" || name == "maiden_name";
}

void SplitPreviousSurnames(std::string_view text, std::vector<std::string>& out) {
  while (!text.empty()) {
    const size_t bar = text.find('|');
    const std::string_view name = Trim(text.substr(0, bar));
    if (!name.empty()) out.emplace_back(name);
    if (bar == std::string_view::npos) break;
    text.remove_prefix(bar + 1);
  }
}

}  // namespace

bool SplitCsvLine(std::string_view line, std::vector<std::string>& fields) {
  fields.clear();
  std::string current;
  bool quoted = false;
  bool was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        current.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        current.push_back(c);
      }
    } else if (c == '"' && Trim(current).empty()) {
      current.clear();
      quoted = was_quoted = true;
    } else if (was_quoted && (c == ' ' || c == '\t')) {
      // Spaces between a closing quote and the comma.
    } else if (c == ',') {
      fields.emplace_back(was_quoted ? std::string_view(current) : Trim(current));
      current.clear();
      was_quoted = false;
    } else {
      current.push_back(c);
    }
  }
  if (quoted) return false;
  fields.emplace_back(was_quoted ? std::string_view(current) : Trim(current));
  return true;
}

// Turns CSV lines into PersonRecords: the header row first, then one record per non-blank line.
class PersonCsvParser {
 public:
  PersonCsvParser(std::string_view source, const PersonCsvOptions& options)
      : source_(source), options_(options) {}

  // Parses the next line of the input, appending a record to `records` for a data row.
  Status Line(std::string_view line, std::vector<PersonRecord>& records) {
    ++line_number_;
    if (Trim(line).empty()) return Status::Ok();
    if (!SplitCsvLine(line, fields_))
      return Status::InvalidArgument(Where() + ": unterminated quote");
    if (!has_header_) return Header();
    if (fields_.size() > fields_by_column_.size()) {
      return Status::InvalidArgument(Where() + ": " + std::to_string(fields_.size()) +
                                     " fields, header has " +
                                     std::to_string(fields_by_column_.size()));
    }
    PersonRecord& record = records.emplace_back();
    for (size_t column = 0; column < fields_.size(); ++column) {
      if (fields_by_column_[column] != nullptr) {
        record.*fields_by_column_[column] = std::move(fields_[column]);
      } else if (column == previous_surnames_column_) {
        SplitPreviousSurnames(fields_[column], record.previous_surnames);
      }
    }
    if (record.id.empty()) return Status::InvalidArgument(Where() + ": empty record id");
    return Status::Ok();
  }

  // At the end of the input.
  Status Finish() const {
    if (!has_header_) return Status::InvalidArgument(std::string(source_) + ": no header row");
    return Status::Ok();
  }

 private:
  std::string Where() const {
    return std::string(source_) + " line " + std::to_string(line_number_);
  }

  Status Header() {
    has_header_ = true;
    bool has_id = false;
    for (std::string& name : fields_) {
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      std::string PersonRecord::*field = FieldForColumn(name);
      // An ignored name matches the column itself or any column filling the same field
      // ("ssn" ignores "soc_sec_id").
      for (const std::string& ignored : options_.ignore_columns) {
        if (ignored == name || (field != nullptr && FieldForColumn(ignored) == field)) {
          field = nullptr;
        }
      }
      if (field == &PersonRecord::id) has_id = true;
      if (IsPreviousSurnamesColumn(name) &&
          std::none_of(
              options_.ignore_columns.begin(), options_.ignore_columns.end(),
              [](const std::string& ignored) { return IsPreviousSurnamesColumn(ignored); })) {
        previous_surnames_column_ = fields_by_column_.size();
      }
      fields_by_column_.push_back(field);
    }
    if (!has_id) return Status::InvalidArgument(Where() + ": header has no rec_id or id column");
    return Status::Ok();
  }

  std::string_view source_;
  const PersonCsvOptions& options_;
  std::vector<std::string PersonRecord::*> fields_by_column_;
  size_t previous_surnames_column_ = std::string::npos;
  std::vector<std::string> fields_;
  bool has_header_ = false;
  size_t line_number_ = 0;
};

Result<std::vector<PersonRecord>> ParsePersonCsv(std::string_view text, std::string_view source,
                                                 const PersonCsvOptions& options) {
  std::vector<PersonRecord> records;
  PersonCsvParser parser(source, options);
  size_t position = 0;
  while (position < text.size()) {
    size_t end = text.find('\n', position);
    if (end == std::string_view::npos) end = text.size();
    CUSTOS_RETURN_IF_ERROR(parser.Line(text.substr(position, end - position), records));
    position = end + 1;
  }
  CUSTOS_RETURN_IF_ERROR(parser.Finish());
  return records;
}

struct PersonCsvReader::State {
  State(std::string path_in, PersonCsvOptions options_in)
      : path(std::move(path_in)), options(std::move(options_in)), parser(path, options) {}
  ~State() {
    if (file != nullptr) gzclose(file);
  }
  std::string path;
  PersonCsvOptions options;
  PersonCsvParser parser;
  gzFile file = nullptr;
  std::string buffer;  // text read but not yet parsed: at most one partial line between calls
  bool at_end = false;
};

PersonCsvReader::PersonCsvReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
PersonCsvReader::PersonCsvReader(PersonCsvReader&&) noexcept = default;
PersonCsvReader& PersonCsvReader::operator=(PersonCsvReader&&) noexcept = default;
PersonCsvReader::~PersonCsvReader() = default;

Result<PersonCsvReader> PersonCsvReader::Open(const std::string& path,
                                              const PersonCsvOptions& options) {
  auto state = std::make_unique<State>(path, options);
  // zlib reads files that are not gzip unchanged, so one path serves both.
  state->file = gzopen(path.c_str(), "rb");
  if (state->file == nullptr) return Status::NotFound("cannot read " + path);
  gzbuffer(state->file, 1 << 17);
  return PersonCsvReader(std::move(state));
}

Status PersonCsvReader::Next(std::vector<PersonRecord>& batch, size_t max_records) {
  constexpr size_t kReadSize = 1 << 20;
  batch.clear();
  State& state = *state_;
  size_t position = 0;
  while (batch.size() < max_records) {
    const size_t end = state.buffer.find('\n', position);
    if (end == std::string::npos) {
      state.buffer.erase(0, position);
      position = 0;
      if (state.at_end) {
        if (!state.buffer.empty()) {
          CUSTOS_RETURN_IF_ERROR(state.parser.Line(state.buffer, batch));
          state.buffer.clear();
        }
        if (batch.empty()) return state.parser.Finish();
        return Status::Ok();
      }
      const size_t old_size = state.buffer.size();
      state.buffer.resize(old_size + kReadSize);
      const int read =
          gzread(state.file, state.buffer.data() + old_size, static_cast<unsigned>(kReadSize));
      if (read < 0) return Status::InvalidArgument(state.path + " is not a readable gzip file");
      state.buffer.resize(old_size + static_cast<size_t>(read));
      if (read == 0) state.at_end = true;
      continue;
    }
    CUSTOS_RETURN_IF_ERROR(
        state.parser.Line(std::string_view(state.buffer).substr(position, end - position), batch));
    position = end + 1;
  }
  state.buffer.erase(0, position);
  return Status::Ok();
}

Result<std::string> ReadTextFile(const std::string& path) {
  if (path.ends_with(".gz")) {
    gzFile file = gzopen(path.c_str(), "rb");
    if (file == nullptr) return Status::NotFound("cannot read " + path);
    gzbuffer(file, 1 << 17);
    std::string text;
    std::vector<char> buffer(1 << 16);
    int read = 0;
    while ((read = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0) {
      text.append(buffer.data(), static_cast<size_t>(read));
    }
    const bool failed = read < 0;
    gzclose(file);
    if (failed) return Status::InvalidArgument(path + " is not a readable gzip file");
    return text;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

Result<std::vector<PersonRecord>> ReadPersonCsv(const std::string& path,
                                                const PersonCsvOptions& options) {
  CUSTOS_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  return ParsePersonCsv(text, path, options);
}

}  // namespace custos::patients
