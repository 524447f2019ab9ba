#include "custos/storage/sqlite/sqlite_database.h"

#include "custos/storage/connection_pool.h"
#include "custos/storage/sqlite/wal_write_buffer.h"

#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace custos::storage {

namespace {

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string message = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Status::Conflict(std::move(message));
    case SQLITE_CONSTRAINT_TRIGGER:
      return Status::FailedPrecondition(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_BUSY_SNAPSHOT:
    case SQLITE_BUSY_TIMEOUT:
      return Status::Unavailable(std::move(message));
    default:
      break;
  }
  if ((rc & 0xff) == SQLITE_CONSTRAINT) return Status::InvalidArgument(std::move(message));
  if ((rc & 0xff) == SQLITE_READONLY) return Status::FailedPrecondition(std::move(message));
  return Status::Internal(std::move(message));
}

// `$1` placeholders become `?1`, SQLite's numbered form, outside of quoted text.
std::string ToSqlitePlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '$' && i + 1 < sql.size() && sql[i + 1] >= '1' && sql[i + 1] <= '9') {
      out += '?';
      continue;
    }
    out += c;
  }
  return out;
}

// Copies the write-ahead log back into the database file on a thread of its own (and now and
// then refreshes the planner's statistics). SQLite's own
// automatic checkpoint runs inside whichever commit crosses the threshold, and that commit then
// took tens of milliseconds: every request waiting on it (reads too, whose audit events it
// carried) saw the pause. A passive checkpoint here blocks no reader or writer.
//
// During a bulk load checkpoints wait: each would copy back pages the load is about to write
// again, and on two cores that copying took time from the load itself. The load's end starts one
// checkpoint that copies the log back once.
class Checkpointer {
 public:
  Checkpointer(std::string path, int checkpoint_pages)
      : path_(std::move(path)),
        checkpoint_pages_(checkpoint_pages),
        restart_pages_(4 * checkpoint_pages),
        force_restart_pages_(16 * checkpoint_pages),
        thread_([this] { Run(); }) {}
  ~Checkpointer() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
    if (db_) sqlite3_close_v2(db_);
  }

  // sqlite3_wal_hook callback: a commit left `pages` pages in the log.
  //
  // The log starts again from its beginning only when a write begins with every page copied
  // back, which a busy writer rarely lets happen: a checkpoint takes milliseconds, and commits
  // keep coming meanwhile. So a checkpoint is due when checkpoint_pages_ wait to be copied back.
  // (Checkpointing whenever the log was long, as before, ran one after every commit once the log
  // had stopped restarting: over a hundred a second, each with two fsyncs.) Past restart_pages_
  // one is due after every commit: each then copies back little, which soon leaves the log fully
  // copied back when a write begins, and the log restarts. Past force_restart_pages_ the commit
  // forces that as a last resort: a writer that never pauses would keep the log from restarting
  // for ever. (During a bulk load nothing is copied back until its end.)
  static int OnCommit(void* self, sqlite3* db, const char*, int pages) {
    auto* checkpointer = static_cast<Checkpointer*>(self);
    if (pages >= checkpointer->force_restart_pages_ && !checkpointer->paused()) {
      // On the committing connection, whose write lock is released: a RESTART checkpoint copies
      // back what the passive ones left (little) and waits until no reader needs the log, so the
      // next write starts it again. Writers wait meanwhile (their busy handler sleeps in steps of
      // up to tens of milliseconds: the p99 of audited reads went from 7 to 25 ms when this ran
      // on every long log, so it is the last resort). From the checkpointer's thread it could
      // starve: a writer that never pauses always holds the write lock when it looks.
      // SQLite answers BUSY at once, without the busy handler, while another checkpoint runs, and
      // the thread's passive ones ran nearly all the time here: on a disk with slow syncs the
      // restart then almost never happened and the log grew to tens of megabytes. So it waits
      // for the thread's checkpoint to end.
      std::lock_guard one_at_a_time(checkpointer->checkpointing_);
      int log_pages = 0, copied = 0;
      if (sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_RESTART, &log_pages, &copied) ==
          SQLITE_OK)
        checkpointer->copied_back_.store(copied, std::memory_order_relaxed);
      return SQLITE_OK;
    }
    const int copied = checkpointer->copied_back_.load(std::memory_order_relaxed);
    // A log shorter than what was copied back has restarted since.
    const int waiting = pages >= copied ? pages - copied : pages;
    if (waiting >= checkpointer->checkpoint_pages_ || pages >= checkpointer->restart_pages_) {
      {
        std::lock_guard lock(checkpointer->mutex_);
        checkpointer->due_ = true;
      }
      checkpointer->wake_.notify_one();
    }
    return SQLITE_OK;
  }

  void Pause() {
    std::lock_guard lock(mutex_);
    ++paused_;
  }

  bool paused() {
    std::lock_guard lock(mutex_);
    return paused_ > 0;
  }

  // Ends a Pause; after the last one, a checkpoint follows at once (on the thread: the caller
  // does not wait for the log to be copied and synced).
  void Resume() {
    {
      std::lock_guard lock(mutex_);
      if (paused_ > 0) --paused_;
      if (paused_ > 0) return;
      due_ = true;
    }
    wake_.notify_one();
  }

 private:
  static constexpr std::chrono::minutes kOptimizeEvery{30};

  void Run() {
    pthread_setname_np(pthread_self(), "sqlite-ckpt");
    auto next_optimize = std::chrono::steady_clock::now() + kOptimizeEvery;
    std::unique_lock lock(mutex_);
    while (true) {
      // Also every few seconds, so that a quiet database does not keep a long log.
      wake_.wait_for(lock, std::chrono::seconds(5),
                     [this] { return stopping_ || (due_ && paused_ == 0); });
      if (stopping_) return;
      if (paused_ > 0) continue;
      due_ = false;
      lock.unlock();
      Checkpoint();
      if (std::chrono::steady_clock::now() >= next_optimize) {
        Optimize();
        next_optimize = std::chrono::steady_clock::now() + kOptimizeEvery;
      }
      lock.lock();
    }
  }

  // A database that grows through the API, not by import (which refreshes statistics itself),
  // would otherwise keep the planner statistics of when it was small and the planner might scan.
  // PRAGMA optimize re-analyzes only the tables that changed a lot, sampling (analysis_limit).
  void Optimize() {
    if (db_)
      (void)sqlite3_exec(db_, "PRAGMA analysis_limit=2000; PRAGMA optimize(0x10002);", nullptr,
                         nullptr, nullptr);
  }

  void Checkpoint() {
    if (!db_) {
      if (sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                          WalWriteBufferVfs()) != SQLITE_OK) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
        return;
      }
      sqlite3_busy_timeout(db_, 1000);
      // A connection learns that the database is in WAL mode from its header, read at the first
      // statement; until then a checkpoint does nothing (and answers -1 frames). Without this
      // line the log was never copied back while the server ran, and grew without bound.
      if (sqlite3_exec(db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) != SQLITE_OK) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
        return;
      }
    }
    std::lock_guard one_at_a_time(checkpointing_);
    int log_pages = 0, copied = 0;
    (void)sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_pages, &copied);
    copied_back_.store(copied, std::memory_order_relaxed);
  }

  const std::string path_;
  const int checkpoint_pages_;     // log pages waiting to be copied back that start a checkpoint
  const int restart_pages_;        // a log this long is checkpointed after every commit
  const int force_restart_pages_;  // a log this long is made to restart (writers wait)
  sqlite3* db_ = nullptr;          // used by the thread only
  std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;                 // GUARDED_BY(mutex_)
  bool stopping_ = false;            // GUARDED_BY(mutex_)
  int paused_ = 0;                   // GUARDED_BY(mutex_): bulk loads running
  std::atomic<int> copied_back_{0};  // log pages copied back by the last checkpoint
  std::mutex checkpointing_;         // held by whoever checkpoints: the thread, or a forced restart
  std::thread thread_;
};

class SqliteConnection {
 public:
  ~SqliteConnection() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  // With a `checkpointer`, it (not each commit) checkpoints the write-ahead log.
  static Result<std::unique_ptr<SqliteConnection>> Open(const SqliteOptions& options,
                                                        Checkpointer* checkpointer) {
    sqlite3* db = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, WalWriteBufferVfs());
    auto connection = std::unique_ptr<SqliteConnection>(new SqliteConnection(db));
    if (rc != SQLITE_OK)
      return Status::Unavailable(std::string("cannot open SQLite database: ") + sqlite3_errstr(rc));
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, options.busy_timeout_ms);
    CUSTOS_RETURN_IF_ERROR(connection->Exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
        "PRAGMA secure_delete=ON; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-65536; "
        "PRAGMA wal_autocheckpoint=8192;"));
    if (checkpointer) sqlite3_wal_hook(db, &Checkpointer::OnCommit, checkpointer);
    sqlite3_rollback_hook(
        db, [](void* rolled_back) { DiscardWalWriteBuffer(static_cast<sqlite3*>(rolled_back)); },
        db);
    return connection;
  }

  sqlite3* db() const { return db_; }

  // PRAGMA query_only guards read-only transactions. Changing it expires every prepared
  // statement of the connection, so it is changed only when the mode differs from last time
  // (and read-only transactions normally get connections that stay read-only).
  Status SetQueryOnly(bool on) {
    if (query_only_ == on) return Status::Ok();
    CUSTOS_RETURN_IF_ERROR(ExecCached(on ? "PRAGMA query_only=1" : "PRAGMA query_only=0"));
    query_only_ = on;
    return Status::Ok();
  }

  Status Exec(std::string_view script) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, std::string(script).c_str(), nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      std::string message = error ? error : sqlite3_errstr(rc);
      sqlite3_free(error);
      Status status = SqliteError(db_, rc, "statement failed");
      return status.ok() ? Status::Internal(message) : status;
    }
    return Status::Ok();
  }

  // Runs one statement without parameters or results (BEGIN, COMMIT, …) from the statement
  // cache: these run around every transaction, and parsing them each time showed in profiles.
  Status ExecCached(std::string_view sql) {
    CUSTOS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
    const int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return SqliteError(db_, rc, "statement failed");
    return Status::Ok();
  }

  // A prepared statement from the cache, reset and with bindings cleared.
  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) return it->second;
    const std::string translated = ToSqlitePlaceholders(sql);
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, translated.c_str(), static_cast<int>(translated.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "cannot prepare statement");
    statements_.emplace(std::string(sql), stmt);
    return stmt;
  }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  bool query_only_ = false;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

class SqliteRow final : public Row {
 public:
  explicit SqliteRow(sqlite3_stmt* stmt)
      : stmt_(stmt),
        columns_(sqlite3_column_count(stmt)),
        float_text_(static_cast<size_t>(columns_)) {}
  int size() const override { return columns_; }
  bool IsNull(int column) const override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  std::int64_t Int(int column) const override { return sqlite3_column_int64(stmt_, column); }
  double Double(int column) const override { return sqlite3_column_double(stmt_, column); }
  std::string_view Text(int column) const override {
    if (sqlite3_column_type(stmt_, column) == SQLITE_FLOAT) {
      // SQLite's own text form keeps 15 digits; the shortest exact form round-trips.
      char buffer[32];
      const auto result =
          std::to_chars(buffer, buffer + sizeof buffer, sqlite3_column_double(stmt_, column));
      std::string& text = float_text_[static_cast<size_t>(column)];
      text.assign(buffer, result.ptr);
      return text;
    }
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (!text) return {};
    return std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  std::string_view Blob(int column) const override {
    if (sqlite3_column_type(stmt_, column) != SQLITE_BLOB) return Text(column);
    const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    return std::string_view(bytes, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }

 private:
  sqlite3_stmt* stmt_;
  int columns_;
  mutable std::vector<std::string> float_text_;
};

class SqliteDatabase;

class SqliteTransaction final : public Transaction {
 public:
  SqliteTransaction(SqliteDatabase& owner, std::unique_ptr<SqliteConnection> connection,
                    bool read_only)
      : owner_(owner), connection_(std::move(connection)), read_only_(read_only) {}
  ~SqliteTransaction() override;

  Backend backend() const override { return Backend::kSqlite; }

  Result<std::int64_t> Execute(std::string_view sql, const Params& params) override {
    CUSTOS_RETURN_IF_ERROR(CheckOpen());
    if (single_query_) return SingleQueryStatus();
    auto bound = BindStatement(sql, params);
    if (!bound.ok()) return Failed(bound.status());
    sqlite3_stmt* stmt = *bound;
    StatementGuard guard(stmt);
    sqlite3* db = connection_->db();
    const std::int64_t before = sqlite3_total_changes64(db);
    int rc = SQLITE_ROW;
    while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) return Failed(SqliteError(db, rc, "statement failed"));
    // sqlite3_changes64 keeps the count of the last INSERT/UPDATE/DELETE, even after DDL.
    return sqlite3_total_changes64(db) == before ? 0
                                                 : static_cast<std::int64_t>(sqlite3_changes64(db));
  }

  Status Query(std::string_view sql, const Params& params, const RowVisitor& visit) override {
    CUSTOS_RETURN_IF_ERROR(CheckOpen());
    if (single_query_ && queried_) return SingleQueryStatus();
    queried_ = true;
    auto bound = BindStatement(sql, params);
    if (!bound.ok()) return Failed(bound.status());
    sqlite3_stmt* stmt = *bound;
    StatementGuard guard(stmt);
    SqliteRow row(stmt);
    while (true) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return Status::Ok();
      if (rc != SQLITE_ROW) return Failed(SqliteError(connection_->db(), rc, "query failed"));
      if (!visit(row)) return Status::Ok();
    }
  }

  Status ExecuteScript(std::string_view sql) override {
    CUSTOS_RETURN_IF_ERROR(CheckOpen());
    if (single_query_) return SingleQueryStatus();
    const Status status = connection_->Exec(sql);
    return status.ok() ? status : Failed(status);
  }

  Status Commit() override {
    CUSTOS_RETURN_IF_ERROR(CheckOpen());
    Status status = connection_->ExecCached("COMMIT");
    if (!status.ok()) {
      (void)connection_->ExecCached("ROLLBACK");
    }
    Finish(status.ok());
    return status;
  }

  Status Start() {
    CUSTOS_RETURN_IF_ERROR(connection_->SetQueryOnly(read_only_));
    return connection_->ExecCached(read_only_ ? "BEGIN" : "BEGIN IMMEDIATE");
  }

 private:
  struct StatementGuard {
    explicit StatementGuard(sqlite3_stmt* s) : stmt(s) {}
    ~StatementGuard() {
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    }
    sqlite3_stmt* stmt;
  };

  Status CheckOpen() const {
    if (finished_) return Status::FailedPrecondition("transaction already finished");
    if (failed_) return Status::FailedPrecondition("transaction aborted by an earlier error");
    return Status::Ok();
  }

  // As on PostgreSQL, a failed statement spoils the transaction: it can only roll back.
  Status Failed(Status status) {
    failed_ = true;
    return status;
  }

  Result<sqlite3_stmt*> BindStatement(std::string_view sql, const Params& params) {
    CUSTOS_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, connection_->Prepare(sql));
    const int expected = sqlite3_bind_parameter_count(stmt);
    if (expected != static_cast<int>(params.size())) {
      return Status::Internal("statement expects " + std::to_string(expected) +
                              " parameters, got " + std::to_string(params.size()));
    }
    for (int i = 0; i < expected; ++i) {
      const Param& p = params[static_cast<size_t>(i)];
      int rc = SQLITE_OK;
      if (p.is_null()) {
        rc = sqlite3_bind_null(stmt, i + 1);
      } else if (const auto* v = p.AsInt()) {
        rc = sqlite3_bind_int64(stmt, i + 1, *v);
      } else if (const auto* d = p.AsDouble()) {
        rc = sqlite3_bind_double(stmt, i + 1, *d);
      } else if (const Bytes* bytes = p.AsBytes()) {
        rc =
            sqlite3_bind_blob64(stmt, i + 1, bytes->data.data(), bytes->data.size(), SQLITE_STATIC);
      } else {
        const std::string_view text = *p.AsText();
        rc = sqlite3_bind_text64(stmt, i + 1, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) {
        sqlite3_clear_bindings(stmt);
        return SqliteError(connection_->db(), rc, "cannot bind parameter");
      }
    }
    return stmt;
  }

  void Finish(bool committed);

  SqliteDatabase& owner_;
  std::unique_ptr<SqliteConnection> connection_;
  // The same rule as on PostgreSQL, where kSingleQuery really is one statement.
  static Status SingleQueryStatus() {
    return Status::FailedPrecondition("a kSingleQuery transaction runs one Query and nothing else");
  }

 public:
  bool single_query_ = false;  // TransactionMode::kSingleQuery

 private:
  bool read_only_;
  bool finished_ = false;
  bool failed_ = false;
  bool queried_ = false;
};

class SqliteDatabase final : public Database {
 public:
  explicit SqliteDatabase(const SqliteOptions& options)
      : options_(FixPoolSize(options)),
        checkpointer_(options_.path == ":memory:" ? nullptr
                                                  : std::make_unique<Checkpointer>(
                                                        options_.path, options_.checkpoint_pages)),
        pool_(WriterPoolSize(options_),
              [this] { return SqliteConnection::Open(options_, checkpointer_.get()); }) {
    if (WriterPoolSize(options_) < options_.pool_size) {
      readers_ = std::make_unique<ConnectionPool<SqliteConnection>>(
          options_.pool_size - WriterPoolSize(options_),
          [this] { return SqliteConnection::Open(options_, checkpointer_.get()); });
    }
  }

  Backend backend() const override { return Backend::kSqlite; }

  Result<std::unique_ptr<Transaction>> Begin(TransactionMode mode) override {
    // (kSingleQuery is an ordinary read-only transaction here: SQLite has no round trips.)
    const bool read_only = mode != TransactionMode::kReadWrite;
    auto& pool = PoolFor(read_only);
    CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteConnection> connection, pool.Acquire());
    auto tx = std::make_unique<SqliteTransaction>(*this, std::move(connection), read_only);
    tx->single_query_ = mode == TransactionMode::kSingleQuery;
    pool.CountStarted();
    CUSTOS_RETURN_IF_ERROR(tx->Start());
    return std::unique_ptr<Transaction>(std::move(tx));
  }

  DatabaseStats Stats() const override {
    DatabaseStats stats = pool_.Stats();
    if (readers_) {
      const DatabaseStats readers = readers_->Stats();
      stats.connections_open += readers.connections_open;
      stats.connections_in_use += readers.connections_in_use;
      stats.transactions_started += readers.transactions_started;
      stats.transactions_committed += readers.transactions_committed;
    }
    return stats;
  }

  void BeginBulkLoad() override {
    if (checkpointer_) checkpointer_->Pause();
  }
  void EndBulkLoad() override {
    if (checkpointer_) checkpointer_->Resume();
  }

  Status RefreshStatistics() override {
    CUSTOS_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    // Sampled statistics (analysis_limit) are as good for index choice and much faster.
    const Status status = connection->Exec("PRAGMA analysis_limit=2000; ANALYZE;");
    Release(std::move(connection), false, false);
    return status;
  }

  // Opens the first connection so that a bad path fails at start, not at the first request.
  Status Warm() {
    CUSTOS_ASSIGN_OR_RETURN(auto connection, pool_.Acquire());
    Release(std::move(connection), false, false);
    return Status::Ok();
  }

  void Release(std::unique_ptr<SqliteConnection> connection, bool read_only, bool committed) {
    PoolFor(read_only).Release(std::move(connection), /*reusable=*/true, committed);
  }

 private:
  // Every connection to ":memory:" would be a database of its own.
  static SqliteOptions FixPoolSize(const SqliteOptions& options) {
    SqliteOptions fixed = options;
    if (fixed.path == ":memory:") fixed.pool_size = 1;
    return fixed;
  }

  // SQLite writes one transaction at a time, so a few writer connections suffice (more would
  // only wait on each other's lock); the rest of `pool_size` serves read-only transactions.
  static int WriterPoolSize(const SqliteOptions& options) {
    if (options.path == ":memory:" || options.pool_size < 2) return options.pool_size;
    return std::clamp(options.pool_size / 4, 1, 4);
  }

  ConnectionPool<SqliteConnection>& PoolFor(bool read_only) {
    return read_only && readers_ ? *readers_ : pool_;
  }

  SqliteOptions options_;
  std::unique_ptr<Checkpointer> checkpointer_;  // null for ":memory:"; outlives the connections
  ConnectionPool<SqliteConnection> pool_;       // read-write transactions (and all, for ":memory:")
  // Read-only transactions on their own connections, which stay in query_only mode. Null for
  // ":memory:" (whose connections would each be a database of their own) and a pool of one.
  std::unique_ptr<ConnectionPool<SqliteConnection>> readers_;
};

SqliteTransaction::~SqliteTransaction() {
  if (!finished_) {
    (void)connection_->ExecCached("ROLLBACK");
    Finish(false);
  }
}

void SqliteTransaction::Finish(bool committed) {
  finished_ = true;
  owner_.Release(std::move(connection_), read_only_, committed);
}

}  // namespace

Result<std::unique_ptr<Database>> OpenSqliteDatabase(const SqliteOptions& options) {
  // SQLite's memory statistics take a global mutex on every allocation, which every connection
  // then contends for; we do not read them.
  static std::once_flag configured;
  std::call_once(configured, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
  auto database = std::make_unique<SqliteDatabase>(options);
  CUSTOS_RETURN_IF_ERROR(database->Warm());
  return std::unique_ptr<Database>(std::move(database));
}

}  // namespace custos::storage
