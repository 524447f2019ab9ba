#include "testing/database_contract.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <random>
#include <thread>
#include <vector>

#include "custos/storage/migrations.h"
#include "custos/storage/open_database.h"
#include "testing/temp_dir.h"

namespace custos::testing {

using storage::Backend;
using storage::Database;
using storage::OwnedRow;
using storage::Row;
using storage::Transaction;
using storage::TransactionMode;

namespace {

Result<std::unique_ptr<Database>> OpenUrl(const std::string& url, int pool_size) {
  return storage::OpenDatabase(storage::StorageConfig{url, pool_size});
}

class SqliteMemoryScratch final : public ScratchDatabase {
 public:
  Result<std::unique_ptr<Database>> Open(int pool_size) override {
    return OpenUrl(":memory:", pool_size);
  }
};

class SqliteFileScratch final : public ScratchDatabase {
 public:
  Result<std::unique_ptr<Database>> Open(int pool_size) override {
    return OpenUrl(dir_.File("custos.db"), pool_size);
  }

 private:
  TempDir dir_;
};

// A schema of its own on the test server, found first through search_path by every connection
// (set in the URL, so that each pooled connection gets it), and dropped with all it holds.
class PostgresScratch final : public ScratchDatabase {
 public:
  static Result<std::unique_ptr<ScratchDatabase>> Create(const std::string& base_url) {
    std::random_device random;
    const std::uint64_t bits = (std::uint64_t{random()} << 32) | random();
    char name[24];
    std::snprintf(name, sizeof name, "t_%016llx", static_cast<unsigned long long>(bits));
    CUSTOS_ASSIGN_OR_RETURN(auto admin, OpenUrl(base_url, 1));
    CUSTOS_ASSIGN_OR_RETURN(auto tx, admin->Begin());
    CUSTOS_RETURN_IF_ERROR(tx->ExecuteScript(std::string("CREATE SCHEMA ") + name));
    CUSTOS_RETURN_IF_ERROR(tx->Commit());
    const char separator = base_url.find('?') == std::string::npos ? '?' : '&';
    std::string url = base_url + separator + "options=-csearch_path%3D" + name;
    return std::unique_ptr<ScratchDatabase>(
        new PostgresScratch(std::move(admin), name, std::move(url)));
  }

  ~PostgresScratch() override {
    auto tx = admin_->Begin();
    Status status =
        tx.ok() ? (*tx)->ExecuteScript("DROP SCHEMA " + schema_ + " CASCADE") : tx.status();
    if (status.ok()) status = (*tx)->Commit();
    EXPECT_OK(status);
  }

  Result<std::unique_ptr<Database>> Open(int pool_size) override {
    return OpenUrl(url_, pool_size);
  }

 private:
  PostgresScratch(std::unique_ptr<Database> admin, std::string schema, std::string url)
      : admin_(std::move(admin)), schema_(std::move(schema)), url_(std::move(url)) {}

  std::unique_ptr<Database> admin_;
  std::string schema_;
  std::string url_;
};

// Plain columns of every kind the interface converts, and a few constraints.
constexpr char kSamplesSchema[] =
    "CREATE TABLE samples ("
    "  id INTEGER PRIMARY KEY,"
    "  i BIGINT,"
    "  d DOUBLE PRECISION,"
    "  t TEXT,"
    "  b INTEGER,"
    "  positive INTEGER CHECK (positive > 0),"
    "  code TEXT UNIQUE,"
    "  bytes BYTEA"  // BLOB affinity is not needed: SQLite keeps a bound blob as it is
    ");"
    "CREATE TABLE owners (id TEXT PRIMARY KEY, name TEXT NOT NULL);"
    "CREATE TABLE pets (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES owners(id));";

Status CreateSamples(Database& db) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, db.Begin());
  CUSTOS_RETURN_IF_ERROR(tx->ExecuteScript(kSamplesSchema));
  return tx->Commit();
}

Result<std::int64_t> CountSamples(Database& db) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, db.Begin(TransactionMode::kReadOnly));
  return tx->QueryInt("SELECT COUNT(*) FROM samples");
}

Result<std::int64_t> InsertAuditEvent(Transaction& tx, std::int64_t seq) {
  return tx.Execute(
      "INSERT INTO audit_events (seq, time, actor, actor_name, role, action, object_type, "
      "object_id, "
      "patient_id, purpose_of_use, outcome, source_address, request_id, details, prev_hash, hash) "
      "VALUES ($1, '2026-01-01T00:00:00.000000Z', 'u1', 'alice', 'him', 'read', 'Patient', 'p1', "
      "'p1', 'TREAT', 'success', '127.0.0.1', 'r1', '{}', 'prev', 'hash')",
      {seq});
}

}  // namespace

BackendUnderTest SqliteMemoryBackend() {
  BackendUnderTest backend;
  backend.name = "SqliteMemory";
  backend.backend = Backend::kSqlite;
  backend.multiple_connections = false;
  backend.unavailable = [] { return std::string(); };
  backend.create = []() -> Result<std::unique_ptr<ScratchDatabase>> {
    return std::unique_ptr<ScratchDatabase>(new SqliteMemoryScratch());
  };
  return backend;
}

BackendUnderTest SqliteFileBackend() {
  BackendUnderTest backend;
  backend.name = "SqliteFile";
  backend.backend = Backend::kSqlite;
  backend.unavailable = [] { return std::string(); };
  backend.create = []() -> Result<std::unique_ptr<ScratchDatabase>> {
    return std::unique_ptr<ScratchDatabase>(new SqliteFileScratch());
  };
  return backend;
}

BackendUnderTest PostgresBackend() {
  BackendUnderTest backend;
  backend.name = "Postgres";
  backend.backend = Backend::kPostgres;
  backend.unavailable = [] {
    return PostgresTestUrl().empty()
               ? std::string(
                     "CUSTOS_TEST_POSTGRES_URL is not set; run under tests/with_postgres.sh")
               : std::string();
  };
  backend.create = [] { return PostgresScratch::Create(PostgresTestUrl()); };
  return backend;
}

void PrintTo(const BackendUnderTest& backend, std::ostream* out) { *out << backend.name; }

std::string BackendUnderTestName(const ::testing::TestParamInfo<BackendUnderTest>& info) {
  return info.param.name;
}

::testing::AssertionResult IsCode(const Status& status, StatusCode code) {
  if (status.code() == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected " << StatusCodeName(code) << ", got "
                                       << (status.ok() ? std::string("ok") : status.ToString());
}

void DatabaseContractTest::SetUp() {
  if (const std::string reason = GetParam().unavailable(); !reason.empty()) GTEST_SKIP() << reason;
  auto scratch = GetParam().create();
  if (scratch.status().code() == StatusCode::kFailedPrecondition) {
    GTEST_SKIP() << scratch.status().ToString();  // e.g. a build without PostgreSQL
  }
  ASSERT_OK(scratch);
  scratch_ = std::move(scratch).value();
  ASSERT_OK_AND_ASSIGN(db_, scratch_->Open(kDefaultPoolSize));
}

void DatabaseContractTest::TearDown() {
  db_.reset();
  scratch_.reset();
}

// ---------------------------------------------------------------------------------------------
// Migrations

TEST_P(DatabaseContractTest, MigrationsApplyOnceAndAreIdempotent) {
  ASSERT_OK_AND_ASSIGN(const storage::MigrationReport first, storage::Migrate(db()));
  const int latest = storage::LatestSchemaVersion(backend());
  EXPECT_GE(latest, 1);
  EXPECT_EQ(first.current_version, latest);
  ASSERT_FALSE(first.applied.empty());
  EXPECT_EQ(first.applied.front(), "0001_foundation.sql");

  ASSERT_OK_AND_ASSIGN(const storage::MigrationReport second, storage::Migrate(db()));
  EXPECT_EQ(second.current_version, latest);
  EXPECT_TRUE(second.applied.empty());

  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(
      const auto rows,
      tx->QueryAll("SELECT version, name FROM schema_migrations ORDER BY version"));
  ASSERT_EQ(rows.size(), first.applied.size());
  EXPECT_EQ(rows.front().Int(0), 1);
  EXPECT_EQ(rows.front().Text(1), "0001_foundation.sql");
  EXPECT_EQ(rows.back().Int(0), latest);
  // The schema is really there.
  ASSERT_OK_AND_ASSIGN(const std::int64_t users, tx->QueryInt("SELECT COUNT(*) FROM users"));
  EXPECT_EQ(users, 0);
}

// TODO(lead): enable once Migrate() takes the PostgreSQL advisory lock before creating
// schema_migrations: two concurrent `CREATE TABLE IF NOT EXISTS` race on PostgreSQL and one fails
// with a unique violation in pg_type (kConflict). migrations.h promises it is safe.
TEST_P(MultiConnectionContractTest, ConcurrentMigrationsFromTwoPoolsBothSucceed) {
  ASSERT_OK_AND_ASSIGN(auto other, Open(2));
  Result<storage::MigrationReport> results[2] = {Status::Internal("not run"),
                                                 Status::Internal("not run")};
  std::thread a([&] { results[0] = storage::Migrate(db()); });
  std::thread b([&] { results[1] = storage::Migrate(*other); });
  a.join();
  b.join();
  ASSERT_OK(results[0]);
  ASSERT_OK(results[1]);
  EXPECT_EQ(results[0]->applied.size() + results[1]->applied.size(),
            static_cast<size_t>(storage::LatestSchemaVersion(backend())));
}

// ---------------------------------------------------------------------------------------------
// Values and placeholders

TEST_P(DatabaseContractTest, IntegersRoundTripIncludingExtremes) {
  ASSERT_OK(CreateSamples(db()));
  const std::vector<std::int64_t> values = {0,
                                            1,
                                            -1,
                                            42,
                                            std::int64_t{1} << 53,
                                            (std::int64_t{1} << 53) + 1,
                                            std::numeric_limits<std::int64_t>::max(),
                                            std::numeric_limits<std::int64_t>::min()};
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  for (size_t n = 0; n < values.size(); ++n) {
    ASSERT_OK(tx->Execute("INSERT INTO samples (id, i) VALUES ($1, $2)",
                          {static_cast<int>(n), values[n]}));
  }
  for (size_t n = 0; n < values.size(); ++n) {
    ASSERT_OK_AND_ASSIGN(
        const auto row, tx->QueryOne("SELECT i FROM samples WHERE id = $1", {static_cast<int>(n)}));
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->Int(0), values[n]);
    EXPECT_EQ(row->Text(0), std::to_string(values[n]));
    ASSERT_OK_AND_ASSIGN(const std::int64_t by_value,
                         tx->QueryInt("SELECT COUNT(*) FROM samples WHERE i = $1", {values[n]}));
    EXPECT_EQ(by_value, 1) << values[n];
  }
}

TEST_P(DatabaseContractTest, RowPlaceholdersInsertEveryRowWithItsOwnValues) {
  EXPECT_EQ(storage::RowPlaceholders(2, 3), "($1, $2), ($3, $4), ($5, $6)");
  EXPECT_EQ(storage::RowPlaceholders(1, 1), "($1)");
  ASSERT_OK(CreateSamples(db()));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  storage::Params params;
  for (int id = 0; id < 70; ++id) {
    params.emplace_back(id);
    params.emplace_back(std::int64_t{1000 + id});
  }
  ASSERT_OK(
      tx->Execute("INSERT INTO samples (id, i) VALUES " + storage::RowPlaceholders(2, 70), params));
  ASSERT_OK_AND_ASSIGN(const std::int64_t matching,
                       tx->QueryInt("SELECT COUNT(*) FROM samples WHERE i = id + 1000"));
  EXPECT_EQ(matching, 70);
}

const std::vector<double>& SampleDoubles() {
  static const std::vector<double> values = {0.0,
                                             0.1,
                                             -2.5,
                                             1.0 / 3.0,
                                             1e300,
                                             -1e-300,
                                             1e-310 /* subnormal */,
                                             123456789.125,
                                             std::numeric_limits<double>::max()};
  return values;
}

TEST_P(DatabaseContractTest, DoublesRoundTripExactly) {
  ASSERT_OK(CreateSamples(db()));
  const std::vector<double>& values = SampleDoubles();
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  for (size_t n = 0; n < values.size(); ++n) {
    ASSERT_OK(tx->Execute("INSERT INTO samples (id, d) VALUES ($1, $2)",
                          {static_cast<int>(n), values[n]}));
  }
  size_t n = 0;
  ASSERT_OK(tx->Query("SELECT d FROM samples ORDER BY id", {}, [&](const Row& row) {
    EXPECT_EQ(row.Double(0), values[n]) << n;
    ++n;
    return true;
  }));
  EXPECT_EQ(n, values.size());
  ASSERT_OK_AND_ASSIGN(const std::int64_t found,
                       tx->QueryInt("SELECT COUNT(*) FROM samples WHERE d = $1", {1.0 / 3.0}));
  EXPECT_EQ(found, 1);
}

// OwnedRow copies a row through Text(); SQLite's own text form of a REAL keeps 15 significant
// digits (1/3 would lose digits; DBL_MAX would read back as inf), so the backend must not use it.
TEST_P(DatabaseContractTest, CopiedRowsKeepDoublesExact) {
  ASSERT_OK(CreateSamples(db()));
  const std::vector<double>& values = SampleDoubles();
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  for (size_t n = 0; n < values.size(); ++n) {
    ASSERT_OK(tx->Execute("INSERT INTO samples (id, d) VALUES ($1, $2)",
                          {static_cast<int>(n), values[n]}));
  }
  ASSERT_OK_AND_ASSIGN(const auto rows, tx->QueryAll("SELECT d FROM samples ORDER BY id"));
  ASSERT_EQ(rows.size(), values.size());
  for (size_t n = 0; n < values.size(); ++n) EXPECT_EQ(rows[n].Double(0), values[n]) << n;
}

TEST_P(DatabaseContractTest, TextRoundTripsUnicodeQuotesAndPlaceholderLookalikes) {
  ASSERT_OK(CreateSamples(db()));
  const std::vector<std::string> values = {
      "",
      "O'Brien",
      "say \"hello\"; DROP TABLE samples; --",
      "Ünïcødé Zoë Łukasz 患者 🩺",
      "$1 ?1 :name @p \\ \\\\ %s",
      "line one\nline two\ttabbed",
      std::string(10000, 'x'),
  };
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  for (size_t n = 0; n < values.size(); ++n) {
    ASSERT_OK(tx->Execute("INSERT INTO samples (id, t) VALUES ($1, $2)",
                          {static_cast<int>(n), values[n]}));
  }
  for (size_t n = 0; n < values.size(); ++n) {
    std::string seen;
    ASSERT_OK(tx->Query("SELECT t FROM samples WHERE id = $1", {static_cast<int>(n)},
                        [&](const Row& row) {
                          EXPECT_FALSE(row.IsNull(0));
                          seen = row.String(0);
                          return true;
                        }));
    EXPECT_EQ(seen, values[n]);
    ASSERT_OK_AND_ASSIGN(const std::int64_t found,
                         tx->QueryInt("SELECT id FROM samples WHERE t = $1", {values[n]}));
    EXPECT_EQ(found, static_cast<std::int64_t>(n));
  }
  // A std::string temporary is owned by its Param.
  ASSERT_OK(tx->Execute("INSERT INTO samples (id, t) VALUES (100, $1)",
                        {std::string("owned ") + "text"}));
  ASSERT_OK_AND_ASSIGN(const auto row, tx->QueryOne("SELECT t FROM samples WHERE id = 100"));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->Text(0), "owned text");
}

TEST_P(DatabaseContractTest, BytesRoundTripIncludingZeroAndHighBytes) {
  ASSERT_OK(CreateSamples(db()));
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  const std::vector<std::string> values = {std::string(), std::string("\0\0x\xff", 4), all,
                                           std::string(100000, '\x9c')};
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  for (size_t n = 0; n < values.size(); ++n) {
    ASSERT_OK(tx->Execute("INSERT INTO samples (id, bytes) VALUES ($1, $2)",
                          {static_cast<int>(n), storage::Bytes{values[n]}}));
  }
  for (size_t n = 0; n < values.size(); ++n) {
    std::string streamed;
    ASSERT_OK(tx->Query("SELECT bytes FROM samples WHERE id = $1", {static_cast<int>(n)},
                        [&](const Row& row) {
                          EXPECT_FALSE(row.IsNull(0));
                          streamed = std::string(row.Blob(0));
                          return true;
                        }));
    EXPECT_EQ(streamed, values[n]) << n;
    ASSERT_OK_AND_ASSIGN(
        auto owned, tx->QueryOne("SELECT bytes FROM samples WHERE id = $1", {static_cast<int>(n)}));
    ASSERT_TRUE(owned.has_value());
    EXPECT_EQ(owned->Blob(0), values[n]) << n;
  }
  // Text columns read the same through Blob().
  ASSERT_OK(tx->Execute("INSERT INTO samples (id, t) VALUES (100, 'plain')"));
  ASSERT_OK(tx->Query("SELECT t FROM samples WHERE id = 100", {}, [](const Row& row) {
    EXPECT_EQ(row.Blob(0), "plain");
    return true;
  }));
}

TEST_P(DatabaseContractTest, NullRoundTrips) {
  ASSERT_OK(CreateSamples(db()));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK(tx->Execute(
      "INSERT INTO samples (id, i, d, t, b) VALUES (1, $1, $2, $3, $4)",
      {nullptr, std::optional<double>(), std::optional<std::string>(), std::optional<bool>()}));
  ASSERT_OK(tx->Execute("INSERT INTO samples (id, i, t) VALUES (2, $1, $2)",
                        {std::optional<std::int64_t>(7), std::optional<std::string>("set")}));
  ASSERT_OK_AND_ASSIGN(const auto rows, tx->QueryAll("SELECT i, d, t, b FROM samples ORDER BY id"));
  ASSERT_EQ(rows.size(), 2u);
  for (int column = 0; column < 4; ++column) {
    EXPECT_TRUE(rows[0].IsNull(column)) << column;
    EXPECT_EQ(rows[0].Int(column), 0);
    EXPECT_EQ(rows[0].Double(column), 0.0);
    EXPECT_EQ(rows[0].Text(column), "");
  }
  EXPECT_EQ(rows[0].OptionalString(2), std::nullopt);
  EXPECT_EQ(rows[1].Int(0), 7);
  EXPECT_EQ(rows[1].OptionalString(2), "set");
  ASSERT_OK_AND_ASSIGN(const std::int64_t nulls,
                       tx->QueryInt("SELECT COUNT(*) FROM samples WHERE t IS NULL"));
  EXPECT_EQ(nulls, 1);
  // The streaming row reports NULL too.
  ASSERT_OK(tx->Query("SELECT t FROM samples WHERE id = 1", {}, [](const Row& row) {
    EXPECT_TRUE(row.IsNull(0));
    EXPECT_EQ(row.Text(0), "");
    return true;
  }));
}

TEST_P(DatabaseContractTest, BooleansAreStoredAndReadAsZeroAndOne) {
  ASSERT_OK(CreateSamples(db()));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK(tx->Execute("INSERT INTO samples (id, b) VALUES (1, $1), (2, $2)", {true, false}));
  ASSERT_OK_AND_ASSIGN(const auto rows, tx->QueryAll("SELECT b FROM samples ORDER BY id"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].Bool(0));
  EXPECT_EQ(rows[0].Int(0), 1);
  EXPECT_FALSE(rows[1].Bool(0));
  EXPECT_EQ(rows[1].Int(0), 0);
  ASSERT_OK_AND_ASSIGN(const std::int64_t matching,
                       tx->QueryInt("SELECT COUNT(*) FROM samples WHERE b = $1", {true}));
  EXPECT_EQ(matching, 1);
  // A comparison's result reads as 1/0 on every backend, streaming or copied.
  ASSERT_OK_AND_ASSIGN(const std::int64_t any, tx->QueryInt("SELECT COUNT(*) > 0 FROM samples"));
  EXPECT_EQ(any, 1);
  ASSERT_OK_AND_ASSIGN(const auto compared, tx->QueryOne("SELECT 1 = 1, 1 = 2"));
  ASSERT_TRUE(compared.has_value());
  EXPECT_TRUE(compared->Bool(0));
  EXPECT_EQ(compared->Text(0), "1");
  EXPECT_FALSE(compared->Bool(1));
  EXPECT_EQ(compared->Text(1), "0");
}

TEST_P(DatabaseContractTest, PlaceholderCanBeReusedAndNumberedOutOfOrder) {
  ASSERT_OK(CreateSamples(db()));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK(tx->Execute("INSERT INTO samples (id, t, code) VALUES ($2, $1, $1)", {"same", 7}));
  ASSERT_OK_AND_ASSIGN(
      const auto row,
      tx->QueryOne("SELECT id, t, code FROM samples WHERE t = $1 AND code = $1", {"same"}));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->Int(0), 7);
  EXPECT_EQ(row->Text(1), "same");
  EXPECT_EQ(row->Text(2), "same");
  ASSERT_OK_AND_ASSIGN(
      const std::int64_t id,
      tx->QueryInt("SELECT id FROM samples WHERE code = $2 AND id = $1", {7, "same"}));
  EXPECT_EQ(id, 7);
}

TEST_P(DatabaseContractTest, PlaceholderInsideStringLiteralIsText) {
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK_AND_ASSIGN(const auto row, tx->QueryOne("SELECT '$1', $1", {"value"}));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->Text(0), "$1");
  EXPECT_EQ(row->Text(1), "value");
}

TEST_P(DatabaseContractTest, WrongNumberOfParametersIsAnError) {
  ASSERT_OK(CreateSamples(db()));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  EXPECT_TRUE(IsCode(tx->Execute("INSERT INTO samples (id, t) VALUES ($1, $2)", {1}),
                     StatusCode::kInternal));
  tx.reset();  // a failed statement spoils its transaction
  ASSERT_OK_AND_ASSIGN(auto second, db().Begin());
  EXPECT_TRUE(IsCode(second->QueryInt("SELECT COUNT(*) FROM samples WHERE id = $1", {1, 2}),
                     StatusCode::kInternal));
}

TEST_P(DatabaseContractTest, SyntaxErrorIsInternal) {
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  EXPECT_TRUE(IsCode(tx->Execute("SELEKT 1"), StatusCode::kInternal));
}

// ---------------------------------------------------------------------------------------------
// Statements

TEST_P(DatabaseContractTest, ExecuteReportsRowsChanged) {
  ASSERT_OK(CreateSamples(db()));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  for (int id = 1; id <= 5; ++id) {
    ASSERT_OK_AND_ASSIGN(const std::int64_t inserted,
                         tx->Execute("INSERT INTO samples (id, i) VALUES ($1, $2)", {id, id}));
    EXPECT_EQ(inserted, 1);
  }
  ASSERT_OK_AND_ASSIGN(const std::int64_t updated,
                       tx->Execute("UPDATE samples SET t = 'x' WHERE i > $1", {2}));
  EXPECT_EQ(updated, 3);
  ASSERT_OK_AND_ASSIGN(const std::int64_t none,
                       tx->Execute("UPDATE samples SET t = 'y' WHERE i > $1", {100}));
  EXPECT_EQ(none, 0);
  ASSERT_OK_AND_ASSIGN(const std::int64_t deleted,
                       tx->Execute("DELETE FROM samples WHERE i <= $1", {4}));
  EXPECT_EQ(deleted, 4);
  ASSERT_OK_AND_ASSIGN(const std::int64_t many,
                       tx->Execute("INSERT INTO samples (id, i) SELECT id + 10, i FROM samples"));
  EXPECT_EQ(many, 1);
}

TEST_P(DatabaseContractTest, ExecuteScriptRunsSeveralStatements) {
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK(
      tx->ExecuteScript("CREATE TABLE a (x INTEGER); CREATE TABLE b (y TEXT);\n"
                        "INSERT INTO a (x) VALUES (1), (2); INSERT INTO b (y) VALUES ('it''s');"));
  ASSERT_OK_AND_ASSIGN(const std::int64_t sum, tx->QueryInt("SELECT SUM(x) FROM a"));
  EXPECT_EQ(sum, 3);
  ASSERT_OK_AND_ASSIGN(const auto row, tx->QueryOne("SELECT y FROM b"));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->Text(0), "it's");
  ASSERT_OK(tx->Commit());
}

TEST_P(DatabaseContractTest, QueryAllQueryOneAndQueryInt) {
  ASSERT_OK(CreateSamples(db()));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK(tx->Execute("INSERT INTO samples (id, t) VALUES (1, 'a'), (2, 'b'), (3, 'c')"));
  ASSERT_OK_AND_ASSIGN(const auto all, tx->QueryAll("SELECT id, t FROM samples ORDER BY id"));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].size(), 2);
  EXPECT_EQ(all[2].Int(0), 3);
  EXPECT_EQ(all[2].String(1), "c");
  ASSERT_OK_AND_ASSIGN(const auto none, tx->QueryAll("SELECT id FROM samples WHERE id > 10"));
  EXPECT_TRUE(none.empty());

  ASSERT_OK_AND_ASSIGN(const auto first, tx->QueryOne("SELECT t FROM samples ORDER BY id DESC"));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->Text(0), "c");
  ASSERT_OK_AND_ASSIGN(const auto missing,
                       tx->QueryOne("SELECT t FROM samples WHERE id = $1", {99}));
  EXPECT_FALSE(missing.has_value());

  ASSERT_OK_AND_ASSIGN(const std::int64_t count, tx->QueryInt("SELECT COUNT(*) FROM samples"));
  EXPECT_EQ(count, 3);
  ASSERT_OK_AND_ASSIGN(const std::int64_t no_row,
                       tx->QueryInt("SELECT id FROM samples WHERE id = $1", {99}));
  EXPECT_EQ(no_row, 0);
  // Text that is not a number reads as 0.
  ASSERT_OK_AND_ASSIGN(const std::int64_t text, tx->QueryInt("SELECT t FROM samples WHERE id = 1"));
  EXPECT_EQ(text, 0);
}

TEST_P(DatabaseContractTest, QueryStoppedEarlyLeavesConnectionUsable) {
  ASSERT_OK_AND_ASSIGN(auto single, Open(1));
  ASSERT_OK(CreateSamples(*single));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
    ASSERT_OK_AND_ASSIGN(
        const std::int64_t inserted,
        tx->Execute(
            "INSERT INTO samples (id, i) "
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 1000) "
            "SELECT n, n * 2 FROM seq"));
    EXPECT_EQ(inserted, 1000);
    int visited = 0;
    ASSERT_OK(tx->Query("SELECT id, i FROM samples ORDER BY id", {}, [&](const Row& row) {
      ++visited;
      EXPECT_EQ(row.Int(0), visited);
      EXPECT_EQ(row.Int(1), 2 * visited);
      return visited < 10;
    }));
    EXPECT_EQ(visited, 10);
    // The same transaction goes on, and so does the same statement.
    ASSERT_OK_AND_ASSIGN(const std::int64_t count, tx->QueryInt("SELECT COUNT(*) FROM samples"));
    EXPECT_EQ(count, 1000);
    ASSERT_OK_AND_ASSIGN(const auto first, tx->QueryOne("SELECT id, i FROM samples ORDER BY id"));
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->Int(1), 2);
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
  ASSERT_OK_AND_ASSIGN(const std::int64_t updated,
                       tx->Execute("UPDATE samples SET t = 'seen' WHERE id <= 10"));
  EXPECT_EQ(updated, 10);
  ASSERT_OK(tx->Commit());
  EXPECT_EQ(single->Stats().connections_open, 1);
}

// ---------------------------------------------------------------------------------------------
// Transactions

TEST_P(DatabaseContractTest, UncommittedTransactionRollsBackOnDestruction) {
  ASSERT_OK(CreateSamples(db()));
  const auto before = db().Stats();
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(tx->Execute("INSERT INTO samples (id) VALUES (1)"));
    ASSERT_OK_AND_ASSIGN(const std::int64_t inside, tx->QueryInt("SELECT COUNT(*) FROM samples"));
    EXPECT_EQ(inside, 1);
  }
  ASSERT_OK_AND_ASSIGN(const std::int64_t after, CountSamples(db()));
  EXPECT_EQ(after, 0);
  const auto stats = db().Stats();
  EXPECT_EQ(stats.transactions_committed, before.transactions_committed);
  EXPECT_EQ(stats.connections_in_use, 0);
}

TEST_P(DatabaseContractTest, CommittedTransactionRefusesFurtherUse) {
  ASSERT_OK(CreateSamples(db()));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK(tx->Execute("INSERT INTO samples (id) VALUES (1)"));
  ASSERT_OK(tx->Commit());
  EXPECT_TRUE(
      IsCode(tx->Execute("INSERT INTO samples (id) VALUES (2)"), StatusCode::kFailedPrecondition));
  EXPECT_TRUE(
      IsCode(tx->QueryInt("SELECT COUNT(*) FROM samples"), StatusCode::kFailedPrecondition));
  EXPECT_TRUE(IsCode(tx->ExecuteScript("DELETE FROM samples"), StatusCode::kFailedPrecondition));
  EXPECT_TRUE(IsCode(tx->Commit(), StatusCode::kFailedPrecondition));
  tx.reset();
  ASSERT_OK_AND_ASSIGN(const std::int64_t count, CountSamples(db()));
  EXPECT_EQ(count, 1);
}

TEST_P(DatabaseContractTest, CommittedDataIsVisibleAndRolledBackDataIsNot) {
  ASSERT_OK(CreateSamples(db()));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(tx->Execute("INSERT INTO samples (id) VALUES (1)"));
    ASSERT_OK(tx->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(tx->Execute("INSERT INTO samples (id) VALUES (2)"));
  }
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK_AND_ASSIGN(const auto rows, tx->QueryAll("SELECT id FROM samples"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Int(0), 1);
}

TEST_P(MultiConnectionContractTest, UncommittedDataIsInvisibleToOtherConnections) {
  ASSERT_OK(CreateSamples(db()));
  ASSERT_OK_AND_ASSIGN(auto writer, db().Begin());
  ASSERT_OK(writer->Execute("INSERT INTO samples (id) VALUES (1)"));
  {
    ASSERT_OK_AND_ASSIGN(auto reader, db().Begin(TransactionMode::kReadOnly));
    ASSERT_OK_AND_ASSIGN(const std::int64_t seen, reader->QueryInt("SELECT COUNT(*) FROM samples"));
    EXPECT_EQ(seen, 0);
  }
  ASSERT_OK(writer->Commit());
  ASSERT_OK_AND_ASSIGN(auto reader, db().Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(const std::int64_t seen, reader->QueryInt("SELECT COUNT(*) FROM samples"));
  EXPECT_EQ(seen, 1);
  // And to another pool on the same database.
  ASSERT_OK_AND_ASSIGN(auto other, Open(1));
  ASSERT_OK_AND_ASSIGN(const std::int64_t elsewhere, CountSamples(*other));
  EXPECT_EQ(elsewhere, 1);
}

TEST_P(MultiConnectionContractTest, ReadOnlyTransactionSeesOneSnapshot) {
  ASSERT_OK(CreateSamples(db()));
  ASSERT_OK_AND_ASSIGN(auto reader, db().Begin(TransactionMode::kReadOnly));
  ASSERT_OK_AND_ASSIGN(const std::int64_t before, reader->QueryInt("SELECT COUNT(*) FROM samples"));
  EXPECT_EQ(before, 0);
  {
    ASSERT_OK_AND_ASSIGN(auto writer, db().Begin());
    ASSERT_OK(writer->Execute("INSERT INTO samples (id) VALUES (1)"));
    ASSERT_OK(writer->Commit());
  }
  ASSERT_OK_AND_ASSIGN(const std::int64_t during, reader->QueryInt("SELECT COUNT(*) FROM samples"));
  EXPECT_EQ(during, 0);
  ASSERT_OK(reader->Commit());
  ASSERT_OK_AND_ASSIGN(const std::int64_t after, CountSamples(db()));
  EXPECT_EQ(after, 1);
}

TEST_P(DatabaseContractTest, SingleQueryRunsOneQueryAndNothingElse) {
  ASSERT_OK(CreateSamples(db()));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(tx->Execute("INSERT INTO samples (id, i) VALUES (1, 7)"));
    ASSERT_OK(tx->Commit());
  }
  for (int round = 0; round < 2 * kDefaultPoolSize; ++round) {  // every pooled connection
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TransactionMode::kSingleQuery));
    ASSERT_OK_AND_ASSIGN(const std::int64_t i,
                         tx->QueryInt("SELECT i FROM samples WHERE id = $1", {1}));
    EXPECT_EQ(i, 7);
    EXPECT_TRUE(
        IsCode(tx->QueryInt("SELECT COUNT(*) FROM samples"), StatusCode::kFailedPrecondition));
    EXPECT_TRUE(IsCode(tx->Execute("DELETE FROM samples"), StatusCode::kFailedPrecondition));
    if (round % 2 == 0) ASSERT_OK(tx->Commit());  // or just let it go
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TransactionMode::kSingleQuery));
    EXPECT_FALSE(tx->QueryInt("SELECT no_such_column FROM samples").ok());
    EXPECT_FALSE(tx->Commit().ok());
  }
  // The connections went back to the pool fit for writing.
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK(tx->Execute("INSERT INTO samples (id) VALUES (2)"));
  ASSERT_OK(tx->Commit());
  ASSERT_OK_AND_ASSIGN(const std::int64_t count, CountSamples(db()));
  EXPECT_EQ(count, 2);
}

TEST_P(DatabaseContractTest, ReadOnlyTransactionRefusesWrites) {
  ASSERT_OK(CreateSamples(db()));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(tx->Execute("INSERT INTO samples (id) VALUES (1)"));
    ASSERT_OK(tx->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TransactionMode::kReadOnly));
    ASSERT_OK_AND_ASSIGN(const std::int64_t count, tx->QueryInt("SELECT COUNT(*) FROM samples"));
    EXPECT_EQ(count, 1);
    EXPECT_TRUE(IsCode(tx->Execute("INSERT INTO samples (id) VALUES (2)"),
                       StatusCode::kFailedPrecondition));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin(TransactionMode::kReadOnly));
    EXPECT_TRUE(IsCode(tx->Execute("DELETE FROM samples"), StatusCode::kFailedPrecondition));
  }
  // The connections went back to the pool writable.
  for (int round = 0; round < kDefaultPoolSize; ++round) {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(tx->Execute("INSERT INTO samples (id) VALUES ($1)", {10 + round}));
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK_AND_ASSIGN(const std::int64_t count, CountSamples(db()));
  EXPECT_EQ(count, 1 + kDefaultPoolSize);
}

TEST_P(DatabaseContractTest, FailedCommitIsReportedAndNothingIsCommitted) {
  ASSERT_OK_AND_ASSIGN(auto single, Open(1));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
    ASSERT_OK(
        tx->ExecuteScript("CREATE TABLE nodes (id INTEGER PRIMARY KEY,"
                          " parent INTEGER REFERENCES nodes(id) DEFERRABLE INITIALLY DEFERRED)"));
    ASSERT_OK(tx->Commit());
  }
  const auto before = single->Stats();
  {
    ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
    // Accepted now, checked at COMMIT.
    ASSERT_OK(tx->Execute("INSERT INTO nodes (id, parent) VALUES (1, 99)"));
    EXPECT_TRUE(IsCode(tx->Commit(), StatusCode::kInvalidArgument));
    EXPECT_TRUE(IsCode(tx->Commit(), StatusCode::kFailedPrecondition));
  }
  EXPECT_EQ(single->Stats().transactions_committed, before.transactions_committed);
  ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
  ASSERT_OK_AND_ASSIGN(const std::int64_t count, tx->QueryInt("SELECT COUNT(*) FROM nodes"));
  EXPECT_EQ(count, 0);
  ASSERT_OK(tx->Execute("INSERT INTO nodes (id, parent) VALUES (1, NULL), (2, 1)"));
  ASSERT_OK(tx->Commit());
}

TEST_P(DatabaseContractTest, FailedStatementLeavesPoolUsable) {
  ASSERT_OK_AND_ASSIGN(auto single, Open(1));
  ASSERT_OK(CreateSamples(*single));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
    ASSERT_OK(tx->Execute("INSERT INTO samples (id) VALUES (1)"));
    ASSERT_OK(tx->Execute("INSERT INTO samples (id) VALUES (2)"));
    EXPECT_TRUE(IsCode(tx->Execute("INSERT INTO samples (id) VALUES (1)"), StatusCode::kConflict));
    if (backend() == Backend::kPostgres) {
      // PostgreSQL aborts the whole transaction; SQLite only undoes the failed statement.
      EXPECT_TRUE(IsCode(tx->Execute("INSERT INTO samples (id) VALUES (3)"),
                         StatusCode::kFailedPrecondition));
      EXPECT_FALSE(tx->Commit().ok());
    }
  }
  ASSERT_OK_AND_ASSIGN(auto tx, single->Begin());
  ASSERT_OK_AND_ASSIGN(const std::int64_t count, tx->QueryInt("SELECT COUNT(*) FROM samples"));
  EXPECT_EQ(count, 0);
  ASSERT_OK(tx->Execute("INSERT INTO samples (id) VALUES (1)"));
  ASSERT_OK(tx->Commit());
  EXPECT_EQ(single->Stats().connections_open, 1);
}

// ---------------------------------------------------------------------------------------------
// Constraint errors

TEST_P(DatabaseContractTest, UniqueViolationIsConflict) {
  ASSERT_OK(CreateSamples(db()));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(tx->Execute("INSERT INTO samples (id, code) VALUES (1, 'A')"));
    ASSERT_OK(tx->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    EXPECT_TRUE(IsCode(tx->Execute("INSERT INTO samples (id, code) VALUES (1, 'B')"),
                       StatusCode::kConflict));
  }
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  EXPECT_TRUE(IsCode(tx->Execute("INSERT INTO samples (id, code) VALUES ($1, $2)", {2, "A"}),
                     StatusCode::kConflict));
}

TEST_P(DatabaseContractTest, NotNullViolationIsInvalidArgument) {
  ASSERT_OK(CreateSamples(db()));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  EXPECT_TRUE(IsCode(tx->Execute("INSERT INTO owners (id, name) VALUES ($1, $2)", {"o1", nullptr}),
                     StatusCode::kInvalidArgument));
}

TEST_P(DatabaseContractTest, ForeignKeyViolationIsInvalidArgument) {
  ASSERT_OK(CreateSamples(db()));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    EXPECT_TRUE(IsCode(tx->Execute("INSERT INTO pets (id, owner_id) VALUES ('p1', 'nobody')"),
                       StatusCode::kInvalidArgument));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(tx->Execute("INSERT INTO owners (id, name) VALUES ('o1', 'Owner')"));
    ASSERT_OK(tx->Execute("INSERT INTO pets (id, owner_id) VALUES ('p1', 'o1')"));
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  EXPECT_TRUE(
      IsCode(tx->Execute("DELETE FROM owners WHERE id = 'o1'"), StatusCode::kInvalidArgument));
}

TEST_P(DatabaseContractTest, CheckViolationIsInvalidArgument) {
  ASSERT_OK(CreateSamples(db()));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  EXPECT_TRUE(IsCode(tx->Execute("INSERT INTO samples (id, positive) VALUES (1, $1)", {-5}),
                     StatusCode::kInvalidArgument));
}

TEST_P(DatabaseContractTest, MigratedSchemaEnforcesUniqueAndForeignKeys) {
  ASSERT_OK(storage::Migrate(db()).status());
  const char* insert_user =
      "INSERT INTO users (id, username, display_name, password_hash, created_at, updated_at, "
      "password_changed_at) VALUES ($1, $2, 'User', 'hash', $3, $3, $3)";
  const char* now = "2026-01-01T00:00:00.000000Z";
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(tx->Execute(insert_user, {"u1", "alice", now}));
    ASSERT_OK(tx->Execute("INSERT INTO user_roles (user_id, role) VALUES ('u1', 'him')"));
    ASSERT_OK(tx->Commit());
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    EXPECT_TRUE(IsCode(tx->Execute(insert_user, {"u2", "alice", now}), StatusCode::kConflict));
  }
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    EXPECT_TRUE(IsCode(tx->Execute("INSERT INTO user_roles (user_id, role) VALUES ('u1', 'him')"),
                       StatusCode::kConflict));
  }
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  EXPECT_TRUE(IsCode(tx->Execute("INSERT INTO user_roles (user_id, role) VALUES ('ghost', 'him')"),
                     StatusCode::kInvalidArgument));
}

// ---------------------------------------------------------------------------------------------
// The append-only audit tables

TEST_P(DatabaseContractTest, AuditEventsCannotBeUpdatedOrDeleted) {
  ASSERT_OK(storage::Migrate(db()).status());
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(InsertAuditEvent(*tx, 1));
    ASSERT_OK(InsertAuditEvent(*tx, 2));
    ASSERT_OK(tx->Commit());
  }
  const char* refused[] = {
      "UPDATE audit_events SET outcome = 'failure' WHERE seq = 1",
      "UPDATE audit_events SET details = '{}'",
      "DELETE FROM audit_events WHERE seq = 2",
      "DELETE FROM audit_events",
  };
  for (const char* sql : refused) {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    EXPECT_TRUE(IsCode(tx->Execute(sql), StatusCode::kFailedPrecondition)) << sql;
    EXPECT_FALSE(tx->Commit().ok() && backend() == Backend::kPostgres) << sql;
  }
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK_AND_ASSIGN(const auto rows,
                       tx->QueryAll("SELECT seq, outcome FROM audit_events ORDER BY seq"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].Text(1), "success");
  // Appending still works.
  ASSERT_OK(InsertAuditEvent(*tx, 3));
  ASSERT_OK(tx->Commit());
}

TEST_P(DatabaseContractTest, AuditCheckpointsCannotBeUpdatedOrDeleted) {
  ASSERT_OK(storage::Migrate(db()).status());
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(
        tx->Execute("INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature) "
                    "VALUES (1, 'h', '2026-01-01T00:00:00.000000Z', 'k1', 'sig')"));
    ASSERT_OK(tx->Commit());
  }
  for (const char* sql :
       {"UPDATE audit_checkpoints SET signature = 'forged'", "DELETE FROM audit_checkpoints"}) {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    EXPECT_TRUE(IsCode(tx->Execute(sql), StatusCode::kFailedPrecondition)) << sql;
  }
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK_AND_ASSIGN(const auto row, tx->QueryOne("SELECT signature FROM audit_checkpoints"));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->Text(0), "sig");
}

// ---------------------------------------------------------------------------------------------
// The pool and concurrency

TEST_P(DatabaseContractTest, ConcurrentWritersBothCommit) {
  ASSERT_OK_AND_ASSIGN(auto pool, Open(2));
  ASSERT_OK(CreateSamples(*pool));
  constexpr int kWriters = 2;
  constexpr int kTransactionsEach = 25;
  std::vector<Status> failures[kWriters];
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int n = 0; n < kTransactionsEach; ++n) {
        Status status = [&]() -> Status {
          CUSTOS_ASSIGN_OR_RETURN(auto tx, pool->Begin());
          const int id = w * 1000 + n;
          CUSTOS_RETURN_IF_ERROR(
              tx->Execute("INSERT INTO samples (id, i) VALUES ($1, $2)", {id, w}).status());
          CUSTOS_RETURN_IF_ERROR(tx->QueryInt("SELECT COUNT(*) FROM samples").status());
          return tx->Commit();
        }();
        if (!status.ok()) failures[w].push_back(status);
      }
    });
  }
  for (auto& writer : writers) writer.join();
  for (int w = 0; w < kWriters; ++w) {
    for (const Status& failure : failures[w])
      ADD_FAILURE() << "writer " << w << ": " << failure.ToString();
  }
  ASSERT_OK_AND_ASSIGN(auto tx, pool->Begin(TransactionMode::kReadOnly));
  for (int w = 0; w < kWriters; ++w) {
    ASSERT_OK_AND_ASSIGN(const std::int64_t count,
                         tx->QueryInt("SELECT COUNT(*) FROM samples WHERE i = $1", {w}));
    EXPECT_EQ(count, kTransactionsEach);
  }
  const auto stats = pool->Stats();
  EXPECT_LE(stats.connections_open, 2);
  EXPECT_GE(stats.transactions_committed, kWriters * kTransactionsEach);
}

TEST_P(DatabaseContractTest, BeginWaitsForAFreeConnection) {
  ASSERT_OK_AND_ASSIGN(auto single, Open(1));
  ASSERT_OK(CreateSamples(*single));
  ASSERT_OK_AND_ASSIGN(auto first, single->Begin());
  ASSERT_OK(first->Execute("INSERT INTO samples (id) VALUES (1)"));
  std::atomic<bool> second_began{false};
  Status second_status;
  std::thread second([&] {
    second_status = [&]() -> Status {
      CUSTOS_ASSIGN_OR_RETURN(auto tx, single->Begin());
      second_began = true;
      CUSTOS_RETURN_IF_ERROR(tx->Execute("INSERT INTO samples (id) VALUES (2)").status());
      return tx->Commit();
    }();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(second_began.load());
  EXPECT_EQ(single->Stats().connections_in_use, 1);
  ASSERT_OK(first->Commit());
  first.reset();
  second.join();
  ASSERT_OK(second_status);
  EXPECT_TRUE(second_began.load());
  ASSERT_OK_AND_ASSIGN(const std::int64_t count, CountSamples(*single));
  EXPECT_EQ(count, 2);
}

TEST_P(DatabaseContractTest, StatsCountTransactionsAndConnections) {
  ASSERT_OK_AND_ASSIGN(auto pool, Open(2));
  const auto start = pool->Stats();
  EXPECT_EQ(start.connections_in_use, 0);
  EXPECT_GE(start.connections_open, 1);  // opening checks the database is reachable
  {
    ASSERT_OK_AND_ASSIGN(auto a, pool->Begin());
    EXPECT_EQ(pool->Stats().connections_in_use, 1);
    if (multiple_connections()) {
      ASSERT_OK_AND_ASSIGN(auto b, pool->Begin(TransactionMode::kReadOnly));
      EXPECT_EQ(pool->Stats().connections_in_use, 2);
      EXPECT_EQ(pool->Stats().connections_open, 2);
    }
    ASSERT_OK(a->Commit());
  }
  const auto end = pool->Stats();
  EXPECT_EQ(end.connections_in_use, 0);
  EXPECT_EQ(end.transactions_started - start.transactions_started, multiple_connections() ? 2 : 1);
  EXPECT_EQ(end.transactions_committed - start.transactions_committed, 1);
}

TEST_P(DatabaseContractTest, FailedStatementSpoilsTheTransaction) {
  ASSERT_OK(CreateSamples(db()));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(tx->Execute("INSERT INTO samples (id) VALUES (1)"));
    EXPECT_EQ(tx->Execute("INSERT INTO samples (id) VALUES (1)").status().code(),
              StatusCode::kConflict);
    EXPECT_EQ(tx->Execute("INSERT INTO samples (id) VALUES (2)").status().code(),
              StatusCode::kFailedPrecondition);
    EXPECT_EQ(tx->Commit().code(), StatusCode::kFailedPrecondition);
  }
  ASSERT_OK_AND_ASSIGN(const std::int64_t rows, CountSamples(db()));
  EXPECT_EQ(rows, 0);
}

TEST_P(DatabaseContractTest, DdlAndReturningReportTheirOwnRowCounts) {
  ASSERT_OK(CreateSamples(db()));
  ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
  ASSERT_OK_AND_ASSIGN(const std::int64_t inserted,
                       tx->Execute("INSERT INTO samples (id) VALUES (1), (2), (3)"));
  EXPECT_EQ(inserted, 3);
  ASSERT_OK_AND_ASSIGN(const std::int64_t ddl,
                       tx->Execute("CREATE TABLE other_samples (id INTEGER)"));
  EXPECT_EQ(ddl, 0);
  ASSERT_OK_AND_ASSIGN(const std::int64_t returned,
                       tx->Execute("INSERT INTO samples (id) VALUES (4), (5) RETURNING id"));
  EXPECT_EQ(returned, 2);
  ASSERT_OK(tx->Commit());
}

TEST_P(DatabaseContractTest, RefreshingStatisticsWorksAndKeepsData) {
  ASSERT_OK(CreateSamples(db()));
  {
    ASSERT_OK_AND_ASSIGN(auto tx, db().Begin());
    ASSERT_OK(tx->Execute("INSERT INTO samples (id) VALUES (1), (2), (3)"));
    ASSERT_OK(tx->Commit());
  }
  ASSERT_OK(db().RefreshStatistics());
  ASSERT_OK_AND_ASSIGN(const std::int64_t rows, CountSamples(db()));
  EXPECT_EQ(rows, 3);
}

}  // namespace custos::testing
