// Database and Transaction: the one interface every module uses to reach storage, with an SQLite
// backend (the default, embedded) and a PostgreSQL backend (scale-out).
//
// SQL is written once in the common subset of both dialects with numbered placeholders `$1`,
// `$2`, ... Values come back through Row, whose accessors convert as needed (PostgreSQL sends
// text). Times are stored as fixed-width UTC text (core/clock.h), booleans as 0/1 integers, so
// the same statements work on both backends; where a dialect forces a difference the calling
// module asks `backend()`.
//
// Every piece of work happens inside a Transaction: no partial writes. A Transaction that is
// destroyed without Commit() rolls back. After a statement fails, the transaction is spoiled on
// both backends: further statements and Commit() answer kFailedPrecondition; start a new one.
// Two more rules keep the backends alike: a placeholder used twice (`$1 … $1`) must stand for
// one type, and no statement may run on a transaction from inside its own Query visitor.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "custos/core/status.h"

namespace custos::storage {

enum class Backend { kSqlite, kPostgres };
std::string_view BackendName(Backend backend);

// Bytes that are not text (compressed data), bound as a BLOB (SQLite) or BYTEA (PostgreSQL). Not
// copied: they must outlive the call.
struct Bytes {
  std::string_view data;
};

// A statement parameter. Text given as std::string_view or const char* is not copied: it must
// outlive the call (which it does when written inline in the argument list).
class Param {
 public:
  Param(std::nullptr_t) {}                                      // NOLINT: NULL
  Param(std::int64_t v) : value_(v) {}                          // NOLINT
  Param(int v) : value_(std::int64_t{v}) {}                     // NOLINT
  Param(bool v) : value_(std::int64_t{v ? 1 : 0}) {}            // NOLINT
  Param(double v) : value_(v) {}                                // NOLINT
  Param(std::string_view v) : value_(v) {}                      // NOLINT
  Param(const char* v) : value_(std::string_view(v)) {}         // NOLINT
  Param(const std::string& v) : value_(std::string_view(v)) {}  // NOLINT
  Param(std::string&& v) : value_(std::move(v)) {}              // NOLINT
  Param(Bytes v) : value_(v) {}                                 // NOLINT
  template <typename T>
  Param(const std::optional<T>& v) {  // NOLINT: nullopt binds NULL
    if (v) *this = Param(*v);
  }

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  const std::int64_t* AsInt() const { return std::get_if<std::int64_t>(&value_); }
  const double* AsDouble() const { return std::get_if<double>(&value_); }
  // Text of a string parameter; nullopt for other kinds.
  std::optional<std::string_view> AsText() const;
  const Bytes* AsBytes() const { return std::get_if<Bytes>(&value_); }

 private:
  std::variant<std::monostate, std::int64_t, double, std::string_view, std::string, Bytes> value_;
};
using Params = std::vector<Param>;

// "($1, $2), ($3, $4)": the placeholders of `rows` rows of `width` values, for a multi-row
// INSERT … VALUES. Made once per shape and thread (spelling them out for every statement was 2 %
// of an import's instructions); the reference stays valid for the thread's life.
const std::string& RowPlaceholders(int width, size_t rows);

// One result row, valid only inside the visitor it is passed to.
class Row {
 public:
  virtual ~Row() = default;
  virtual int size() const = 0;
  virtual bool IsNull(int column) const = 0;
  // 0 for NULL or text that is not a number.
  virtual std::int64_t Int(int column) const = 0;
  virtual double Double(int column) const = 0;
  // Empty for NULL. The view is valid until the visitor returns.
  virtual std::string_view Text(int column) const = 0;
  // A BLOB / BYTEA column's bytes (for other columns, as Text). Valid until the visitor returns.
  virtual std::string_view Blob(int column) const = 0;

  bool Bool(int column) const { return Int(column) != 0; }
  std::string String(int column) const { return std::string(Text(column)); }
  std::optional<std::string> OptionalString(int column) const {
    return IsNull(column) ? std::nullopt : std::optional<std::string>(String(column));
  }
};

// A copied row that outlives the query (QueryAll, QueryOne). BLOB columns are copied as bytes.
class OwnedRow final : public Row {
 public:
  explicit OwnedRow(const Row& row);
  int size() const override { return static_cast<int>(values_.size()); }
  bool IsNull(int column) const override { return !values_[column].has_value(); }
  std::int64_t Int(int column) const override;
  double Double(int column) const override;
  std::string_view Text(int column) const override {
    return values_[column] ? std::string_view(*values_[column]) : std::string_view();
  }
  std::string_view Blob(int column) const override { return Text(column); }

 private:
  std::vector<std::optional<std::string>> values_;
};

// Return false to stop reading rows.
using RowVisitor = std::function<bool(const Row&)>;

// One unit of work on one connection. Not thread-safe: use it from one thread at a time.
class Transaction {
 public:
  virtual ~Transaction() = default;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  virtual Backend backend() const = 0;
  // A number no other transaction of this process has, for caches that live as long as one
  // transaction.
  std::uint64_t serial() const { return serial_; }

  // Runs a statement that returns no rows; the value is the number of rows it changed.
  // kConflict for a unique or primary-key violation, kInvalidArgument for other constraint
  // violations, kUnavailable when the database is busy or unreachable, kInternal otherwise.
  virtual Result<std::int64_t> Execute(std::string_view sql, const Params& params = {}) = 0;
  // Runs a query and calls `visit` for each row, streaming (rows are not all held in memory).
  virtual Status Query(std::string_view sql, const Params& params, const RowVisitor& visit) = 0;
  // Runs a script of several statements without parameters (migrations).
  virtual Status ExecuteScript(std::string_view sql) = 0;

  // Makes every change durable and visible to others. Afterwards the transaction is finished:
  // further calls fail with kFailedPrecondition. On failure nothing was committed.
  virtual Status Commit() = 0;

  // Conveniences built on Query.
  Result<std::vector<OwnedRow>> QueryAll(std::string_view sql, const Params& params = {});
  // The first row, or nullopt when there is none.
  Result<std::optional<OwnedRow>> QueryOne(std::string_view sql, const Params& params = {});
  // The first column of the first row as an integer (0 when there is no row).
  Result<std::int64_t> QueryInt(std::string_view sql, const Params& params = {});

 protected:
  Transaction();

 private:
  std::uint64_t serial_;
};

enum class TransactionMode {
  kReadWrite,  // takes the write lock at the start (SQLite BEGIN IMMEDIATE), so it cannot deadlock
  kReadOnly,   // a consistent snapshot; writes fail
  // Exactly one Query and nothing else (reading one resource). PostgreSQL runs it without
  // BEGIN and COMMIT, one round trip instead of three; a second statement fails.
  kSingleQuery,
};

struct DatabaseStats {
  int connections_open = 0;
  int connections_in_use = 0;
  std::int64_t transactions_started = 0;
  std::int64_t transactions_committed = 0;
};

// A database: a pool of connections. Thread-safe; share one instance.
class Database {
 public:
  virtual ~Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  virtual Backend backend() const = 0;
  // Starts a transaction on a pooled connection (waiting for one if all are in use).
  // kUnavailable when no connection can be made.
  virtual Result<std::unique_ptr<Transaction>> Begin(
      TransactionMode mode = TransactionMode::kReadWrite) = 0;
  virtual DatabaseStats Stats() const = 0;
  // Refreshes the query planner's statistics (ANALYZE), so that searches pick the selective
  // index after bulk changes. Takes seconds on millions of rows; call it after imports.
  virtual Status RefreshStatistics() = 0;
  // A bulk load (an import) runs between these: background work that would copy what the load
  // writes again and again (SQLite's checkpoints of its write-ahead log) waits, and the last
  // EndBulkLoad of overlapping loads starts it once (without waiting for it). Nothing to do on
  // PostgreSQL.
  virtual void BeginBulkLoad() {}
  virtual void EndBulkLoad() {}

 protected:
  Database() = default;
};

}  // namespace custos::storage
