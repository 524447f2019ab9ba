#include "custos/storage/migrations.h"

#include <algorithm>
#include <charconv>

#include "custos/core/clock.h"
#include "custos/core/embedded_file.h"

namespace custos {
const std::vector<EmbeddedFile>& SqliteMigrationFiles();
const std::vector<EmbeddedFile>& PostgresMigrationFiles();
}  // namespace custos

namespace custos::storage {

namespace {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

std::vector<Migration> MigrationsFor(Backend backend) {
  const auto& files =
      backend == Backend::kSqlite ? SqliteMigrationFiles() : PostgresMigrationFiles();
  std::vector<Migration> migrations;
  for (const auto& file : files) {
    int version = 0;
    std::from_chars(file.name.data(), file.name.data() + file.name.size(), version);
    CUSTOS_CHECK(version > 0);
    migrations.push_back({version, file.name, file.contents});
  }
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return migrations;
}

// A fixed key for PostgreSQL's advisory lock, so that two nodes starting at once migrate in turn.
constexpr std::int64_t kMigrationLockKey = 0x637573746f73;  // "custos"

}  // namespace

int LatestSchemaVersion(Backend backend) {
  const auto migrations = MigrationsFor(backend);
  return migrations.empty() ? 0 : migrations.back().version;
}

Result<MigrationReport> Migrate(Database& database) {
  MigrationReport report;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database.Begin());
    if (database.backend() == Backend::kPostgres) {
      // Two nodes starting at once would race on CREATE TABLE IF NOT EXISTS.
      CUSTOS_RETURN_IF_ERROR(tx->Query("SELECT pg_advisory_xact_lock($1)", {kMigrationLockKey},
                                       [](const Row&) { return true; }));
    }
    CUSTOS_RETURN_IF_ERROR(tx->ExecuteScript(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, applied_at TEXT NOT NULL)"));
    CUSTOS_RETURN_IF_ERROR(tx->Commit());
  }
  for (const Migration& migration : MigrationsFor(database.backend())) {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database.Begin());
    if (database.backend() == Backend::kPostgres) {
      CUSTOS_RETURN_IF_ERROR(tx->Query("SELECT pg_advisory_xact_lock($1)", {kMigrationLockKey},
                                       [](const Row&) { return true; }));
    }
    CUSTOS_ASSIGN_OR_RETURN(
        const std::int64_t done,
        tx->QueryInt("SELECT COUNT(*) FROM schema_migrations WHERE version = $1",
                     {migration.version}));
    if (done == 0) {
      CUSTOS_RETURN_IF_ERROR(tx->ExecuteScript(migration.sql));
      CUSTOS_RETURN_IF_ERROR(
          tx->Execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                {migration.version, migration.name, FormatTimestamp(SystemClock().Now())})
              .status());
      CUSTOS_RETURN_IF_ERROR(tx->Commit());
      report.applied.emplace_back(migration.name);
    }
    report.current_version = migration.version;
  }
  return report;
}

}  // namespace custos::storage
