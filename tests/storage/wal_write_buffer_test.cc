// The WAL write buffer must not change what SQLite guarantees: a commit is in the log file when
// COMMIT returns, other connections read what was committed, and a transaction that spilled
// pages into the log and rolled back leaves nothing behind.
#include "custos/storage/sqlite/wal_write_buffer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "testing/temp_dir.h"

namespace custos::storage {
namespace {

class Connection {
 public:
  explicit Connection(const std::string& path) {
    const char* vfs = WalWriteBufferVfs();
    EXPECT_NE(vfs, nullptr);
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
              SQLITE_OK);
    // As the server's connections do (sqlite_database.cc).
    sqlite3_rollback_hook(
        db_, [](void* db) { DiscardWalWriteBuffer(static_cast<sqlite3*>(db)); }, db_);
    // A small page cache, so that a large transaction spills pages into the log before COMMIT.
    Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=50");
  }
  ~Connection() { sqlite3_close_v2(db_); }

  void Exec(const std::string& sql) {
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error ? error : "") << " in " << sql;
  }
  std::string Text(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr), SQLITE_OK);
    std::string value;
    if (sqlite3_step(statement) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(statement, 0);
      value = text ? reinterpret_cast<const char*>(text) : "NULL";
    }
    sqlite3_finalize(statement);
    return value;
  }
  sqlite3* db() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// 20,000 rows of 200 bytes, about 1,300 pages: more than the cache holds and many buffers' worth.
constexpr char kFill[] =
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
    "INSERT INTO t SELECT i, printf('%.200c', char(65 + i % 26)) FROM n";
constexpr char kSummary[] =
    "SELECT count(*) || ':' || sum(length(body)) || ':' || "
    "sum(unicode(body) * id) FROM t";

// Runs `statements` and COMMIT in a child process that then ends with _exit: no close, no
// destructors, no checkpoint, so only what COMMIT wrote to the files remains. Whether it
// committed.
bool CommitsInAChildThatEndsWithoutClosing(const std::string& path,
                                           const std::vector<std::string>& statements) {
  const pid_t child = fork();
  if (child < 0) return false;
  if (child == 0) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, WalWriteBufferVfs());
    sqlite3_exec(db, "PRAGMA cache_size=50; BEGIN", nullptr, nullptr, nullptr);
    for (const std::string& sql : statements)
      sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    const int rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    _exit(rc == SQLITE_OK ? 0 : 1);
  }
  int status = 0;
  return waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Each test has a database file of its own (`path_`); kCreate makes its table `t`.
class WalWriteBufferTest : public ::testing::Test {
 protected:
  static constexpr char kCreate[] = "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)";
  // For the tests whose writer is a child process: the table, made and closed beforehand.
  void CreateTable() { Connection(path_).Exec(kCreate); }

  testing::TempDir dir_;
  const std::string path_ = dir_.File("t.db");
};

TEST_F(WalWriteBufferTest, OtherConnectionsReadWhatASpillingTransactionCommitted) {
  Connection writer(path_);
  writer.Exec(kCreate);
  writer.Exec(std::string("BEGIN; ") + kFill + "; COMMIT");
  Connection reader(path_);
  EXPECT_EQ(reader.Text(kSummary), writer.Text(kSummary));
  EXPECT_EQ(reader.Text("SELECT count(*) FROM t"), "20000");
  EXPECT_EQ(reader.Text("PRAGMA integrity_check"), "ok");
}

TEST_F(WalWriteBufferTest, ACommitIsInTheLogFileWhenCommitReturns) {
  Connection writer(path_);
  writer.Exec("PRAGMA wal_autocheckpoint=0");
  writer.Exec(kCreate);
  int frames = 0;
  sqlite3_wal_hook(
      writer.db(),
      [](void* out, sqlite3*, const char*, int log_frames) {
        *static_cast<int*>(out) = log_frames;
        return SQLITE_OK;
      },
      &frames);
  for (int i = 0; i < 3; ++i) {
    writer.Exec("INSERT INTO t (body) VALUES (printf('%.3000c', 'x'))");
    // The log holds a 32-byte header and then frames of a 24-byte header and a 4 KB page.
    EXPECT_EQ(std::filesystem::file_size(path_ + "-wal"),
              32u + static_cast<unsigned>(frames) * 4120)
        << "after commit " << i;
  }
}

TEST_F(WalWriteBufferTest, ACommittedTransactionSurvivesTheProcessEndingWithoutClosing) {
  CreateTable();
  ASSERT_TRUE(CommitsInAChildThatEndsWithoutClosing(path_, {kFill}));
  Connection reader(path_);
  EXPECT_EQ(reader.Text("SELECT count(*) FROM t"), "20000");
  EXPECT_EQ(reader.Text("PRAGMA integrity_check"), "ok");
}

// A transaction that writes a page it had already spilled overwrites that frame in place, and at
// COMMIT SQLite rewrites the checksums of every frame from there on, the commit frame's last: a
// header rewritten after the commit frame was written. It must reach the file before COMMIT
// returns, or recovery finds a bad checksum and drops the transaction.
TEST_F(WalWriteBufferTest, AChecksumRewriteAtCommitSurvivesTheProcessEndingWithoutClosing) {
  CreateTable();
  // Rows on pages spilled long ago, and the last page, written again.
  ASSERT_TRUE(CommitsInAChildThatEndsWithoutClosing(
      path_, {kFill, "UPDATE t SET body = lower(body) WHERE id % 97 = 0 OR id = 20000"}));
  Connection reader(path_);
  EXPECT_EQ(reader.Text("SELECT count(*) FROM t"), "20000");
  EXPECT_EQ(reader.Text("SELECT count(*) FROM t WHERE body = lower(body)"), "207");
  EXPECT_EQ(reader.Text("PRAGMA integrity_check"), "ok");
}

TEST_F(WalWriteBufferTest, ASpilledTransactionThatRollsBackLeavesNothing) {
  Connection writer(path_);
  writer.Exec(kCreate);
  writer.Exec("INSERT INTO t VALUES (0, 'kept')");
  writer.Exec(std::string("BEGIN; ") + kFill + "; ROLLBACK");
  // The next transaction writes its frames over those the rolled-back one left in the log.
  writer.Exec("INSERT INTO t VALUES (1, 'also kept')");
  Connection reader(path_);
  EXPECT_EQ(reader.Text("SELECT group_concat(body, '|') FROM t"), "kept|also kept");
  EXPECT_EQ(reader.Text("PRAGMA integrity_check"), "ok");
}

// What a rolled-back transaction left in its connection's buffer must never reach the file: by
// then another connection may have written its own frames at the same place in the log.
TEST_F(WalWriteBufferTest, ARolledBackTransactionDoesNotOverwriteAnotherConnectionsCommit) {
  Connection a(path_);
  a.Exec(kCreate);
  a.Exec(std::string("BEGIN; ") + kFill + "; ROLLBACK");
  Connection b(path_);
  for (int i = 0; i < 20; ++i) {
    b.Exec("INSERT INTO t (body) VALUES (printf('%.3000c', 'b'))");
  }
  // a reads the log again (b's frames), which would write out whatever a still held.
  EXPECT_EQ(a.Text("SELECT count(*) FROM t"), "20");
  Connection reader(path_);
  EXPECT_EQ(reader.Text("SELECT count(*) || ':' || min(body = printf('%.3000c', 'b')) FROM t"),
            "20:1");
  EXPECT_EQ(reader.Text("PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace custos::storage
