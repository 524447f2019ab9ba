#include "custos/patients/person_record.h"

#include <algorithm>
#include <cctype>
#include <fstream>
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

Result<std::vector<PersonRecord>> ParsePersonCsv(std::string_view text, std::string_view source,
                                                 const PersonCsvOptions& options) {
  std::vector<PersonRecord> records;
  std::vector<std::string PersonRecord::*> fields_by_column;
  size_t previous_surnames_column = std::string::npos;
  std::vector<std::string> fields;
  bool has_header = false;
  bool has_id = false;
  size_t line_number = 0;
  size_t position = 0;
  while (position < text.size()) {
    size_t end = text.find('\n', position);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(position, end - position);
    position = end + 1;
    ++line_number;
    if (Trim(line).empty()) continue;
    const std::string where = std::string(source) + " line " + std::to_string(line_number);
    if (!SplitCsvLine(line, fields)) {
      return Status::InvalidArgument(where + ": unterminated quote");
    }
    if (!has_header) {
      has_header = true;
      for (std::string& name : fields) {
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::string PersonRecord::*field = FieldForColumn(name);
        // An ignored name matches the column itself or any column filling the same field
        // ("ssn" ignores "soc_sec_id").
        for (const std::string& ignored : options.ignore_columns) {
          if (ignored == name || (field != nullptr && FieldForColumn(ignored) == field)) {
            field = nullptr;
          }
        }
        if (field == &PersonRecord::id) has_id = true;
        if (IsPreviousSurnamesColumn(name) &&
            std::none_of(
                options.ignore_columns.begin(), options.ignore_columns.end(),
                [](const std::string& ignored) { return IsPreviousSurnamesColumn(ignored); })) {
          previous_surnames_column = fields_by_column.size();
        }
        fields_by_column.push_back(field);
      }
      if (!has_id) return Status::InvalidArgument(where + ": header has no rec_id or id column");
      continue;
    }
    if (fields.size() > fields_by_column.size()) {
      return Status::InvalidArgument(where + ": " + std::to_string(fields.size()) +
                                     " fields, header has " +
                                     std::to_string(fields_by_column.size()));
    }
    PersonRecord& record = records.emplace_back();
    for (size_t column = 0; column < fields.size(); ++column) {
      if (fields_by_column[column] != nullptr) {
        record.*fields_by_column[column] = std::move(fields[column]);
      } else if (column == previous_surnames_column) {
        SplitPreviousSurnames(fields[column], record.previous_surnames);
      }
    }
    if (record.id.empty()) return Status::InvalidArgument(where + ": empty record id");
  }
  if (!has_header) return Status::InvalidArgument(std::string(source) + ": no header row");
  return records;
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
