#include "custos/storage/open_database.h"

#include "custos/storage/sqlite/sqlite_database.h"
#ifdef CUSTOS_WITH_POSTGRES
#include "custos/storage/postgres/postgres_database.h"
#endif

namespace custos::storage {

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

Result<std::unique_ptr<Database>> OpenDatabase(const StorageConfig& config) {
  if (IsPostgresUrl(config.url)) {
#ifdef CUSTOS_WITH_POSTGRES
    return OpenPostgresDatabase(PostgresOptions{config.url, config.pool_size});
#else
    return Status::FailedPrecondition("this build of custos has no PostgreSQL support");
#endif
  }
  if (config.url.empty()) return Status::InvalidArgument("no database given", "database");
  return OpenSqliteDatabase(SqliteOptions{config.url, config.pool_size});
}

}  // namespace custos::storage
