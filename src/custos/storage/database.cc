#include "custos/storage/database.h"

#include <atomic>
#include <charconv>
#include <cstdlib>
#include <map>
#include <utility>

namespace custos::storage {

std::string_view BackendName(Backend backend) {
  return backend == Backend::kSqlite ? "sqlite" : "postgres";
}

const std::string& RowPlaceholders(int width, size_t rows) {
  thread_local std::map<std::pair<int, size_t>, std::string> made;
  std::string& text = made[{width, rows}];
  if (text.empty()) {
    for (size_t row = 0; row < rows; ++row) {
      text += row == 0 ? "(" : ", (";
      for (int column = 0; column < width; ++column) {
        if (column > 0) text += ", ";
        text += "$" +
                std::to_string(row * static_cast<size_t>(width) + static_cast<size_t>(column) + 1);
      }
      text += ")";
    }
  }
  return text;
}

std::optional<std::string_view> Param::AsText() const {
  if (const auto* view = std::get_if<std::string_view>(&value_)) return *view;
  if (const auto* owned = std::get_if<std::string>(&value_)) return std::string_view(*owned);
  return std::nullopt;
}

OwnedRow::OwnedRow(const Row& row) {
  values_.reserve(static_cast<size_t>(row.size()));
  for (int i = 0; i < row.size(); ++i) {
    if (row.IsNull(i)) {
      values_.emplace_back();
    } else {
      // Blob() is Text() for text columns; for BLOB/BYTEA it is the bytes, not their text form.
      values_.emplace_back(std::string(row.Blob(i)));
    }
  }
}

std::int64_t OwnedRow::Int(int column) const {
  if (!values_[column]) return 0;
  std::int64_t value = 0;
  const std::string& text = *values_[column];
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

double OwnedRow::Double(int column) const {
  if (!values_[column]) return 0;
  return std::strtod(values_[column]->c_str(), nullptr);
}

Transaction::Transaction() {
  static std::atomic<std::uint64_t> next_serial{1};
  serial_ = next_serial.fetch_add(1, std::memory_order_relaxed);
}

Result<std::vector<OwnedRow>> Transaction::QueryAll(std::string_view sql, const Params& params) {
  std::vector<OwnedRow> rows;
  CUSTOS_RETURN_IF_ERROR(Query(sql, params, [&rows](const Row& row) {
    rows.emplace_back(row);
    return true;
  }));
  return rows;
}

Result<std::optional<OwnedRow>> Transaction::QueryOne(std::string_view sql, const Params& params) {
  std::optional<OwnedRow> first;
  CUSTOS_RETURN_IF_ERROR(Query(sql, params, [&first](const Row& row) {
    first.emplace(row);
    return false;
  }));
  return first;
}

Result<std::int64_t> Transaction::QueryInt(std::string_view sql, const Params& params) {
  std::int64_t value = 0;
  CUSTOS_RETURN_IF_ERROR(Query(sql, params, [&value](const Row& row) {
    value = row.Int(0);
    return false;
  }));
  return value;
}

}  // namespace custos::storage
