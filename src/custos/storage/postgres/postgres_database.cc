#include "custos/storage/postgres/postgres_database.h"

#include "custos/storage/connection_pool.h"

#include <algorithm>

#include <libpq-fe.h>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace custos::storage {

namespace {

constexpr Oid kBoolOid = 16;   // pg_type.oid of `boolean`
constexpr Oid kByteaOid = 17;  // pg_type.oid of `bytea`
// Prepared statements kept per connection; beyond this the cache starts over, so that SQL built
// at run time cannot grow a session without bound.
constexpr size_t kMaxPreparedStatements = 512;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

bool Succeeded(const PGresult* result) {
  const ExecStatusType status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY ||
         status == PGRES_SINGLE_TUPLE;
}

// Maps a failed result (or a missing one) to a Status by SQLSTATE. The message keeps the server's
// primary text, which names constraints but not values, except for data exceptions (class 22):
// those quote the offending input, which may be patient data.
Status PostgresError(PGconn* conn, const PGresult* result, std::string_view what) {
  const char* field = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = field ? field : "";
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = std::string(what) + ": ";
  if (sqlstate.starts_with("22")) {
    message += "invalid value";
  } else if (primary) {
    message += primary;
  } else {
    const char* text = PQerrorMessage(conn);
    message += (text && *text) ? text : "no result";
    while (!message.empty() && message.back() == '\n') message.pop_back();
  }
  if (!sqlstate.empty()) message += " (SQLSTATE " + sqlstate + ")";

  if (PQstatus(conn) != CONNECTION_OK || sqlstate.starts_with("08")) {
    return Status::Unavailable(std::move(message));
  }
  if (sqlstate == "23505") return Status::Conflict(std::move(message));
  // Our own triggers (append-only tables) raise integrity_constraint_violation itself.
  if (sqlstate == "23000") return Status::FailedPrecondition(std::move(message));
  if (sqlstate.starts_with("23")) return Status::InvalidArgument(std::move(message));
  if (sqlstate == "25006") return Status::FailedPrecondition(std::move(message));  // read-only
  // Serialization failure, deadlock, lock timeout, statement timeout: busy, worth a retry.
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" || sqlstate == "57014" ||
      sqlstate.starts_with("57P") || sqlstate.starts_with("53")) {
    return Status::Unavailable(std::move(message));
  }
  return Status::Internal(std::move(message));
}

// Statement parameters as libpq wants them: NUL-terminated text, nullptr for NULL.
class TextParams {
 public:
  explicit TextParams(const Params& params) {
    storage_.reserve(params.size());
    for (const Param& param : params) {
      if (param.is_null()) {
        storage_.emplace_back();
      } else if (const auto* i = param.AsInt()) {
        storage_.push_back(std::to_string(*i));
      } else if (const auto* d = param.AsDouble()) {
        char buffer[32];
        const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, *d);
        storage_.emplace_back(buffer, end);
      } else if (const Bytes* bytes = param.AsBytes()) {
        // BYTEA's text input: \x and two hex digits a byte.
        static constexpr char kHex[] = "0123456789abcdef";
        std::string hex = "\\x";
        hex.reserve(2 + bytes->data.size() * 2);
        for (const char c : bytes->data) {
          hex.push_back(kHex[(static_cast<unsigned char>(c) >> 4) & 0xF]);
          hex.push_back(kHex[static_cast<unsigned char>(c) & 0xF]);
        }
        storage_.push_back(std::move(hex));
      } else {
        storage_.emplace_back(*param.AsText());
      }
    }
    values_.reserve(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      values_.push_back(params[i].is_null() ? nullptr : storage_[i].c_str());
    }
  }
  int count() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }

 private:
  std::vector<std::string> storage_;
  std::vector<const char*> values_;
};

class PostgresConnection {
 public:
  ~PostgresConnection() { PQfinish(conn_); }

  static Result<std::unique_ptr<PostgresConnection>> Open(const std::string& url) {
    auto connection =
        std::unique_ptr<PostgresConnection>(new PostgresConnection(PQconnectdb(url.c_str())));
    PGconn* conn = connection->conn_;
    if (conn == nullptr) return Status::Unavailable("cannot connect to PostgreSQL: out of memory");
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string message = PQerrorMessage(conn);
      while (!message.empty() && message.back() == '\n') message.pop_back();
      return Status::Unavailable("cannot connect to PostgreSQL: " + message);
    }
    // Notices (e.g. "relation already exists, skipping") are not errors; keep them off stderr.
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    if (PQsetClientEncoding(conn, "UTF8") != 0) {
      return Status::Unavailable("cannot set PostgreSQL client encoding to UTF8");
    }
    return connection;
  }

  PGconn* get() const { return conn_; }
  bool broken() const { return PQstatus(conn_) != CONNECTION_OK; }
  // Idle (no transaction open) and healthy: fit to go back into the pool.
  bool reusable() const { return !broken() && PQtransactionStatus(conn_) == PQTRANS_IDLE; }

  Status Exec(const char* sql, std::string_view what) {
    PgResult result(PQexec(conn_, sql));
    if (!result || !Succeeded(result.get())) return PostgresError(conn_, result.get(), what);
    return Status::Ok();
  }

  // Reads and discards whatever results are still pending, so the connection can take a command.
  void Drain() {
    while (PGresult* result = PQgetResult(conn_)) PQclear(result);
  }

  struct Prepared {
    const std::string* name;
    int parameter_count;
  };

  // The prepared statement for `sql`, prepared on first use.
  Result<Prepared> Prepare(std::string_view sql) {
    const std::string key(sql);
    auto it = statements_.find(key);
    if (it != statements_.end()) return Prepared{&it->second.name, it->second.parameter_count};
    if (statements_.size() >= kMaxPreparedStatements) {
      CUSTOS_RETURN_IF_ERROR(Exec("DEALLOCATE ALL", "cannot reset prepared statements"));
      statements_.clear();
    }
    std::string name = "custos_" + std::to_string(++statement_counter_);
    PgResult prepared(PQprepare(conn_, name.c_str(), key.c_str(), 0, nullptr));
    if (!prepared || !Succeeded(prepared.get())) {
      return PostgresError(conn_, prepared.get(), "cannot prepare statement");
    }
    PgResult described(PQdescribePrepared(conn_, name.c_str()));
    if (!described || !Succeeded(described.get())) {
      return PostgresError(conn_, described.get(), "cannot describe statement");
    }
    const int parameter_count = PQnparams(described.get());
    it = statements_.emplace(key, Statement{std::move(name), parameter_count}).first;
    return Prepared{&it->second.name, parameter_count};
  }

 private:
  struct Statement {
    std::string name;
    int parameter_count;
  };

  explicit PostgresConnection(PGconn* conn) : conn_(conn) {}

  PGconn* conn_;
  std::unordered_map<std::string, Statement> statements_;
  std::int64_t statement_counter_ = 0;
};

// A row of a text-format result. Booleans read as 1/0, as they do on SQLite.
class PostgresRow final : public Row {
 public:
  PostgresRow(const PGresult* result, int row) : result_(result), row_(row) {}
  int size() const override { return PQnfields(result_); }
  bool IsNull(int column) const override { return PQgetisnull(result_, row_, column) != 0; }
  std::int64_t Int(int column) const override {
    const std::string_view text = Text(column);
    std::int64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
  }
  double Double(int column) const override {
    if (IsNull(column)) return 0;
    return std::strtod(Text(column).data(), nullptr);  // NUL-terminated, by libpq or literal
  }
  std::string_view Text(int column) const override {
    if (IsNull(column)) return {};
    const char* value = PQgetvalue(result_, row_, column);
    if (PQftype(result_, column) == kBoolOid) return value[0] == 't' ? "1" : "0";
    return std::string_view(value, static_cast<size_t>(PQgetlength(result_, row_, column)));
  }
  std::string_view Blob(int column) const override {
    if (IsNull(column) || PQftype(result_, column) != kByteaOid) return Text(column);
    // BYTEA's text output (hex format, the default since PostgreSQL 9.0): \x then hex digits.
    const std::string_view text = Text(column);
    std::string& bytes = decoded_[column];
    bytes.clear();
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    for (size_t i = 2; i + 1 < text.size(); i += 2) {
      bytes.push_back(static_cast<char>((nibble(text[i]) << 4) | nibble(text[i + 1])));
    }
    return bytes;
  }

 private:
  const PGresult* result_;
  int row_;
  mutable std::map<int, std::string> decoded_;  // Blob()'s bytes, per column
};

class PostgresDatabase;

class PostgresTransaction final : public Transaction {
 public:
  PostgresTransaction(PostgresDatabase& owner, std::unique_ptr<PostgresConnection> connection)
      : owner_(owner), connection_(std::move(connection)) {}
  ~PostgresTransaction() override;

  Backend backend() const override { return Backend::kPostgres; }

  Status Start(TransactionMode mode) {
    if (mode == TransactionMode::kSingleQuery) {
      single_query_ = true;  // the statement runs in an implicit transaction of its own
      return Status::Ok();
    }
    return Track(connection_->Exec(mode == TransactionMode::kReadOnly
                                       ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                       : "BEGIN",
                                   "cannot begin transaction"));
  }

  Result<std::int64_t> Execute(std::string_view sql, const Params& params) override {
    CUSTOS_RETURN_IF_ERROR(CheckUsable());
    if (single_query_) return SingleQueryStatus();
    CUSTOS_ASSIGN_OR_RETURN(const PostgresConnection::Prepared prepared, PrepareFor(sql, params));
    const TextParams text(params);
    PGconn* conn = connection_->get();
    PgResult result(PQexecPrepared(conn, prepared.name->c_str(), text.count(), text.values(),
                                   nullptr, nullptr, 0));
    if (!result || !Succeeded(result.get())) {
      return Track(PostgresError(conn, result.get(), "statement failed"));
    }
    const char* changed = PQcmdTuples(result.get());
    return static_cast<std::int64_t>(std::strtoll(changed, nullptr, 10));
  }

  Status Query(std::string_view sql, const Params& params, const RowVisitor& visit) override {
    CUSTOS_RETURN_IF_ERROR(CheckUsable());
    if (single_query_ && queried_) return SingleQueryStatus();
    queried_ = true;
    CUSTOS_ASSIGN_OR_RETURN(const PostgresConnection::Prepared prepared, PrepareFor(sql, params));
    const TextParams text(params);
    PGconn* conn = connection_->get();
    if (PQsendQueryPrepared(conn, prepared.name->c_str(), text.count(), text.values(), nullptr,
                            nullptr, 0) == 0) {
      return Track(PostgresError(conn, nullptr, "query failed"));
    }
    PQsetSingleRowMode(conn);  // if refused, rows arrive in one result; handled the same way
    // After the visitor says stop, the remaining rows are read and dropped: cancelling the
    // query instead would abort the whole transaction.
    bool stopped = false;
    Status status;
    streaming_ = true;  // stays set if the visitor throws: the connection is mid-result then
    while (PGresult* raw = PQgetResult(conn)) {
      const PgResult result(raw);
      if (!Succeeded(raw)) {
        if (status.ok()) status = PostgresError(conn, raw, "query failed");
        continue;
      }
      for (int row = 0; row < PQntuples(raw) && !stopped && status.ok(); ++row) {
        if (!visit(PostgresRow(raw, row))) stopped = true;
      }
    }
    streaming_ = false;
    return Track(std::move(status));
  }

  Status ExecuteScript(std::string_view sql) override {
    CUSTOS_RETURN_IF_ERROR(CheckUsable());
    if (single_query_) return SingleQueryStatus();
    return Track(connection_->Exec(std::string(sql).c_str(), "script failed"));
  }

  Status Commit() override {
    if (finished_) return Status::FailedPrecondition("transaction already finished");
    if (streaming_) return StreamingStatus();
    if (single_query_) {  // nothing to commit: the statement's own transaction has ended
      const Status status = error_;
      Finish(status.ok());
      return status.ok() ? status : AbortedStatus();
    }
    if (!error_.ok()) {
      (void)connection_->Exec("ROLLBACK", "cannot roll back");
      Finish(false);
      return AbortedStatus();
    }
    PGconn* conn = connection_->get();
    PgResult result(PQexec(conn, "COMMIT"));
    Status status;
    if (!result || !Succeeded(result.get())) {
      status = PostgresError(conn, result.get(), "commit failed");
    } else if (std::string_view(PQcmdStatus(result.get())) != "COMMIT") {
      // The server had already aborted the transaction and rolled it back instead.
      status = Status::FailedPrecondition("commit failed: the transaction had been aborted");
    }
    if (!status.ok() && !connection_->broken() && PQtransactionStatus(conn) != PQTRANS_IDLE) {
      (void)connection_->Exec("ROLLBACK", "cannot roll back");
    }
    Finish(status.ok());
    return status;
  }

 private:
  // Once a statement fails, PostgreSQL refuses everything but ROLLBACK in that transaction.
  Status CheckUsable() const {
    if (finished_) return Status::FailedPrecondition("transaction already finished");
    if (streaming_) return StreamingStatus();
    if (!error_.ok()) return AbortedStatus();
    return Status::Ok();
  }

  // The connection is busy sending a result: one statement at a time per transaction.
  static Status StreamingStatus() {
    return Status::FailedPrecondition(
        "a statement cannot run while a Query on the same transaction is reading rows");
  }

  static Status SingleQueryStatus() {
    return Status::FailedPrecondition("a kSingleQuery transaction runs one Query and nothing else");
  }

  Status AbortedStatus() const {
    return Status::FailedPrecondition("transaction aborted by an earlier error: " +
                                      error_.ToString());
  }

  Status Track(Status status) {
    if (!status.ok() && error_.ok()) error_ = status;
    return status;
  }

  Result<PostgresConnection::Prepared> PrepareFor(std::string_view sql, const Params& params) {
    auto prepared = connection_->Prepare(sql);
    if (!prepared.ok()) return Track(prepared.status());
    if (prepared->parameter_count != static_cast<int>(params.size())) {
      return Status::Internal("statement expects " + std::to_string(prepared->parameter_count) +
                              " parameters, got " + std::to_string(params.size()));
    }
    return prepared;
  }

  void Finish(bool committed);

  PostgresDatabase& owner_;
  std::unique_ptr<PostgresConnection> connection_;
  bool finished_ = false;
  bool streaming_ = false;     // inside Query, between sending it and the last result
  bool single_query_ = false;  // TransactionMode::kSingleQuery: no BEGIN was sent
  bool queried_ = false;
  Status error_;  // the first error; the server transaction is aborted once it is set
};

class PostgresDatabase final : public Database {
 public:
  explicit PostgresDatabase(PostgresOptions options)
      : options_(std::move(options)), pool_(std::max(1, options_.pool_size), [this] {
          return PostgresConnection::Open(options_.url);
        }) {}

  Backend backend() const override { return Backend::kPostgres; }

  Result<std::unique_ptr<Transaction>> Begin(TransactionMode mode) override {
    // An idle pooled connection may have broken since its last use (server restart); BEGIN finds
    // out, the connection is dropped and the next one (eventually a fresh one) is tried.
    Status status;
    for (int attempt = 0; attempt <= options_.pool_size; ++attempt) {
      CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<PostgresConnection> connection, pool_.Acquire());
      auto tx = std::make_unique<PostgresTransaction>(*this, std::move(connection));
      status = tx->Start(mode);
      if (status.ok()) {
        pool_.CountStarted();
        return std::unique_ptr<Transaction>(std::move(tx));
      }
      if (status.code() != StatusCode::kUnavailable) return status;
    }
    return status;
  }

  DatabaseStats Stats() const override { return pool_.Stats(); }

  Status RefreshStatistics() override {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, Begin(TransactionMode::kReadWrite));
    CUSTOS_RETURN_IF_ERROR(tx->ExecuteScript("ANALYZE"));
    return tx->Commit();
  }

  Status Warm() {
    CUSTOS_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    Release(std::move(connection), false);
    return Status::Ok();
  }

  void Release(std::unique_ptr<PostgresConnection> connection, bool committed) {
    const bool reusable = connection->reusable();
    pool_.Release(std::move(connection), reusable, committed);
  }

 private:
  PostgresOptions options_;
  ConnectionPool<PostgresConnection> pool_;
};

PostgresTransaction::~PostgresTransaction() {
  if (!finished_) {
    connection_->Drain();  // a Query left mid-stream by an exception from the visitor
    if (!single_query_) (void)connection_->Exec("ROLLBACK", "cannot roll back");
    Finish(false);
  }
}

void PostgresTransaction::Finish(bool committed) {
  finished_ = true;
  owner_.Release(std::move(connection_), committed);
}

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgresDatabase(const PostgresOptions& options) {
  auto database = std::make_unique<PostgresDatabase>(options);
  CUSTOS_RETURN_IF_ERROR(database->Warm());
  return std::unique_ptr<Database>(std::move(database));
}

}  // namespace custos::storage
