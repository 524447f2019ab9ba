// What the PostgreSQL backend does beyond the shared contract: connection loss, server-side
// isolation levels, prepared statements, errors that only PostgreSQL raises. Each test runs in a
// schema of its own (see database_contract.h) and is skipped without CUSTOS_TEST_POSTGRES_URL.
#include <string>

#include "custos/storage/migrations.h"
#include "custos/storage/open_database.h"
#include "testing/database_contract.h"

namespace custos::testing {
namespace {

using storage::Row;
using storage::TransactionMode;

class PostgresDatabaseTest : public DatabaseContractTest {};

INSTANTIATE_TEST_SUITE_P(Backends, PostgresDatabaseTest, ::testing::Values(PostgresBackend()),
                         BackendUnderTestName);

TEST_P(PostgresDatabaseTest, UnreachableServerIsUnavailable) {
  // Port 1 on the loopback interface refuses connections at once.
  auto opened =
      storage::OpenDatabase({"postgresql://custos@127.0.0.1:1/custos?connect_timeout=5", 1});
  EXPECT_TRUE(IsCode(opened, StatusCode::kUnavailable));
}

TEST_P(PostgresDatabaseTest, LostConnectionIsUnavailableAndReplaced) {
  ASSERT_OK_AND_ASSIGN(auto single, Open(1));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
    EXPECT_TRUE(IsCode(tx->Query("SELECT pg_terminate_backend(pg_backend_pid())", {},
                                 [](const Row&) { return true; }),
                       StatusCode::kUnavailable));
    EXPECT_TRUE(IsCode(tx->QueryInt("SELECT 1"), StatusCode::kFailedPrecondition));
  }
  EXPECT_EQ(single->Stats().connections_open, 0);  // the broken connection was dropped
  ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
  ASSERT_OK_AND_ASSIGN(const std::int64_t one, tx->QueryInt("SELECT 1"));
  EXPECT_EQ(one, 1);
  ASSERT_OK(tx->Commit());
  EXPECT_EQ(single->Stats().connections_open, 1);
}

TEST_P(PostgresDatabaseTest, IdleConnectionBrokenInThePoolIsReplacedAtBegin) {
  ASSERT_OK_AND_ASSIGN(auto single, Open(1));
  std::int64_t victim = 0;
  {
    ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
    ASSERT_OK_AND_ASSIGN(victim, tx->QueryInt("SELECT pg_backend_pid()"));
    ASSERT_OK(tx->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(tx->QueryInt("SELECT pg_terminate_backend($1::integer)", {victim}));
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
  ASSERT_OK_AND_ASSIGN(const std::int64_t pid, tx->QueryInt("SELECT pg_backend_pid()"));
  EXPECT_NE(pid, victim);
}

TEST_P(PostgresDatabaseTest, AuditTablesCannotBeTruncated) {
  ASSERT_OK(storage::Migrate(db()).status());
  for (const char* sql : {"TRUNCATE audit_events", "TRUNCATE audit_checkpoints"}) {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    EXPECT_TRUE(IsCode(tx->ExecuteScript(sql), StatusCode::kFailedPrecondition)) << sql;
    EXPECT_TRUE(IsCode(tx->Execute("SELECT 1"), StatusCode::kFailedPrecondition));
    EXPECT_TRUE(IsCode(tx->Commit(), StatusCode::kFailedPrecondition));
  }
}

TEST_P(PostgresDatabaseTest, ReadWriteIsReadCommittedAndReadOnlyIsRepeatableRead) {
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK_AND_ASSIGN(const auto row,
                         tx->QueryOne("SELECT current_setting('transaction_isolation'), "
                                      "current_setting('transaction_read_only')"));
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->Text(0), "read committed");
    EXPECT_EQ(row->Text(1), "off");
  }
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(const auto row,
                       tx->QueryOne("SELECT current_setting('transaction_isolation'), "
                                    "current_setting('transaction_read_only')"));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->Text(0), "repeatable read");
  EXPECT_EQ(row->Text(1), "on");
}

TEST_P(PostgresDatabaseTest, SerializationFailureIsUnavailable) {
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(
        tx->ExecuteScript("CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL);"
                          "INSERT INTO counters VALUES (1, 0);"));
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto first, db().Begin());
  ASSERT_OK(first->ExecuteScript("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
  ASSERT_OK(first->QueryInt("SELECT n FROM counters WHERE id = 1"));  // takes the snapshot
  {
    ASSERT_OK_AND_ASSIGN(auto second, db().Begin());
    ASSERT_OK(second->Execute("UPDATE counters SET n = n + 1 WHERE id = 1"));
    ASSERT_OK(second->Commit());
  }
  EXPECT_TRUE(IsCode(first->Execute("UPDATE counters SET n = n + 1 WHERE id = 1"),
                     StatusCode::kUnavailable));
}

TEST_P(PostgresDatabaseTest, NativeBooleansReadAsOneAndZero) {
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK(
      tx->ExecuteScript("CREATE TABLE flags (id INTEGER, f BOOLEAN);"
                        "INSERT INTO flags VALUES (1, TRUE), (2, FALSE), (3, NULL);"));
  ASSERT_OK_AND_ASSIGN(const auto rows, tx->QueryAll("SELECT f FROM flags ORDER BY id"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].Text(0), "1");
  EXPECT_TRUE(rows[0].Bool(0));
  EXPECT_EQ(rows[1].Int(0), 0);
  EXPECT_TRUE(rows[2].IsNull(0));
  ASSERT_OK_AND_ASSIGN(const std::int64_t exists,
                       tx->QueryInt("SELECT EXISTS (SELECT 1 FROM flags WHERE f)"));
  EXPECT_EQ(exists, 1);
}

TEST_P(PostgresDatabaseTest, StatementsArePreparedOncePerConnection) {
  ASSERT_OK_AND_ASSIGN(auto single, Open(1));
  for (int round = 0; round < 3; ++round) {
    ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
    ASSERT_OK_AND_ASSIGN(const std::int64_t value,
                         tx->QueryInt("SELECT $1::integer + 1 /* marker */", {round}));
    EXPECT_EQ(value, round + 1);
  }
  ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
  ASSERT_OK_AND_ASSIGN(
      const std::int64_t prepared,
      tx->QueryInt("SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE $1",
                   {"%/* marker */%"}));
  EXPECT_EQ(prepared, 1);
}

TEST_P(PostgresDatabaseTest, PreparedStatementCacheIsBounded) {
  ASSERT_OK_AND_ASSIGN(auto single, Open(1));
  ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
  for (int n = 0; n < 600; ++n) {
    const std::string sql = "SELECT $1::integer + " + std::to_string(n);
    ASSERT_OK_AND_ASSIGN(const std::int64_t value, tx->QueryInt(sql, {1}));
    EXPECT_EQ(value, n + 1);
  }
  ASSERT_OK_AND_ASSIGN(const std::int64_t prepared,
                       tx->QueryInt("SELECT COUNT(*) FROM pg_prepared_statements"));
  EXPECT_LE(prepared, 512);
  // Statements prepared before the cache started over are prepared again when needed.
  ASSERT_OK_AND_ASSIGN(const std::int64_t again, tx->QueryInt("SELECT $1::integer + 0", {1}));
  EXPECT_EQ(again, 1);
  ASSERT_OK(tx->Commit());
}

TEST_P(PostgresDatabaseTest, ErrorInTheMiddleOfAStreamIsReported) {
  ASSERT_OK_AND_ASSIGN(auto single, Open(1));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
    int visited = 0;
    const Status status =
        tx->Query("SELECT 1 / (500 - n) FROM generate_series(1, 1000) AS n", {}, [&](const Row&) {
          ++visited;
          return true;
        });
    EXPECT_TRUE(IsCode(status, StatusCode::kInternal));
    EXPECT_GT(visited, 0);
    EXPECT_LT(visited, 500);
  }
  ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
  ASSERT_OK_AND_ASSIGN(const std::int64_t one, tx->QueryInt("SELECT 1"));
  EXPECT_EQ(one, 1);
}

TEST_P(PostgresDatabaseTest, ErrorMessagesDoNotEchoValues) {
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK(tx->ExecuteScript("CREATE TABLE numbers (n INTEGER)"));
  const Status status =
      tx->Execute("INSERT INTO numbers (n) VALUES ($1)", {"Jane Doe 1970-01-01"}).status();
  EXPECT_TRUE(IsCode(status, StatusCode::kInternal));
  EXPECT_EQ(status.message().find("Jane"), std::string::npos) << status.message();
}

TEST_P(PostgresDatabaseTest, StatementInsideAVisitorIsRefused) {
  // One connection sends one result at a time; SQLite would allow this, PostgreSQL cannot.
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  Status inner;
  ASSERT_OK(tx->Query("SELECT n FROM generate_series(1, 3) AS n", {}, [&](const Row&) {
    inner = tx->QueryInt("SELECT 1").status();
    return false;
  }));
  EXPECT_TRUE(IsCode(inner, StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(const std::int64_t one, tx->QueryInt("SELECT 1"));
  EXPECT_EQ(one, 1);
  ASSERT_OK(tx->Commit());
}

}  // namespace
}  // namespace custos::testing
