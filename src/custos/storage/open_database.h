// The single way to open storage: picks the backend from the URL and applies migrations.
#pragma once

#include <memory>
#include <string>

#include "custos/storage/database.h"

namespace custos::storage {

struct StorageConfig {
  // A file path or ":memory:" for SQLite; "postgresql://…" (or "postgres://…") for PostgreSQL.
  std::string url;
  int pool_size = 8;
};

// Opens the database. Does not migrate. kFailedPrecondition when PostgreSQL is asked for in a
// build without it; kUnavailable when the database cannot be reached.
Result<std::unique_ptr<Database>> OpenDatabase(const StorageConfig& config);

// True when `url` names a PostgreSQL database.
bool IsPostgresUrl(std::string_view url);

}  // namespace custos::storage
