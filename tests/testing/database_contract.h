// The storage contract: one GoogleTest suite (`DatabaseContractTest`) that every Database backend
// must pass, so that modules can be written once against database.h and run on either backend.
//
// The tests themselves are in database_contract.cc. That file must be compiled into the test
// program (listed in its SOURCES), not taken from a static library: the linker would drop its
// test registrations. A program instantiates the suite for the backends it wants:
//
//   INSTANTIATE_TEST_SUITE_P(Backends, DatabaseContractTest,
//                            ::testing::Values(SqliteMemoryBackend(), PostgresBackend()),
//                            BackendUnderTestName);
//   INSTANTIATE_TEST_SUITE_P(Backends, MultiConnectionContractTest,
//                            ::testing::Values(PostgresBackend()), BackendUnderTestName);
//
// Each test gets a fresh, empty database from its backend's ScratchDatabase: a new SQLite file in
// a temporary directory, a new in-memory database, or a new PostgreSQL schema (`t_<random>`, on
// the server named by CUSTOS_TEST_POSTGRES_URL, dropped afterwards). Without that variable the
// PostgreSQL tests are reported as skipped; tests/with_postgres.sh provides a server.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "custos/core/status.h"
#include "custos/storage/database.h"
#include "testing/status_matchers.h"

// `lhs = value of expr`, or fails the test with the status of `expr`.
#ifndef ASSERT_OK_AND_ASSIGN
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  CUSTOS_ASSERT_OK_AND_ASSIGN_IMPL(CUSTOS_CONCAT(custos_result_, __LINE__), lhs, expr)
#define CUSTOS_ASSERT_OK_AND_ASSIGN_IMPL(result, lhs, expr)                   \
  auto result = (expr);                                                       \
  ASSERT_TRUE(result.ok()) << ::custos::testing::ToStatus(result).ToString(); \
  lhs = std::move(result).value()
#endif

namespace custos::testing {

// One test's database. Open() may be called several times: every pool it returns reaches the same
// database, except for SQLite ":memory:", where each pool is a database of its own.
class ScratchDatabase {
 public:
  virtual ~ScratchDatabase() = default;
  virtual Result<std::unique_ptr<storage::Database>> Open(int pool_size) = 0;
};

struct BackendUnderTest {
  std::string name;  // the test name suffix: "SqliteMemory", "SqliteFile", "Postgres"
  storage::Backend backend = storage::Backend::kSqlite;
  // False when a database has a single connection (SQLite ":memory:"): two transactions can then
  // not be open at once, and Open() does not reach the same database twice.
  bool multiple_connections = true;
  // Why this backend cannot be tested here (e.g. no server given), or empty.
  std::function<std::string()> unavailable;
  std::function<Result<std::unique_ptr<ScratchDatabase>>()> create;
};

BackendUnderTest SqliteMemoryBackend();
BackendUnderTest SqliteFileBackend();
// Skipped unless CUSTOS_TEST_POSTGRES_URL is set (see tests/with_postgres.sh).
BackendUnderTest PostgresBackend();

void PrintTo(const BackendUnderTest& backend, std::ostream* out);
std::string BackendUnderTestName(const ::testing::TestParamInfo<BackendUnderTest>& info);

// Passes when `status` has exactly `code`; says what it got otherwise.
::testing::AssertionResult IsCode(const Status& status, StatusCode code);
template <typename T>
::testing::AssertionResult IsCode(const Result<T>& result, StatusCode code) {
  return IsCode(result.status(), code);
}

class DatabaseContractTest : public ::testing::TestWithParam<BackendUnderTest> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The database opened for this test, with a pool of kDefaultPoolSize.
  storage::Database& db() { return *db_; }
  // Another pool on this test's database (a new database for SQLite ":memory:").
  Result<std::unique_ptr<storage::Database>> Open(int pool_size) {
    return scratch_->Open(pool_size);
  }
  bool multiple_connections() const { return GetParam().multiple_connections; }
  storage::Backend backend() const { return GetParam().backend; }

  static constexpr int kDefaultPoolSize = 4;

 private:
  std::unique_ptr<ScratchDatabase> scratch_;
  std::unique_ptr<storage::Database> db_;
};

// The part of the contract that needs two transactions open at once on one database: instantiate
// it only for backends with multiple_connections (not SQLite ":memory:").
class MultiConnectionContractTest : public DatabaseContractTest {};

}  // namespace custos::testing
