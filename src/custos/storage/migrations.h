// Schema migrations: numbered SQL files per backend (migrations/sqlite/NNNN_name.sql and
// migrations/postgres/NNNN_name.sql, compiled into the binary). Each is applied once, in its own
// transaction, and recorded in schema_migrations. To change the schema, add the next number for
// both backends; never edit an applied file.
#pragma once

#include <string>
#include <vector>

#include "custos/storage/database.h"

namespace custos::storage {

struct MigrationReport {
  int current_version = 0;           // after the run
  std::vector<std::string> applied;  // names applied by this run
};

// Applies every pending migration. Safe to call at every start and from several processes.
Result<MigrationReport> Migrate(Database& database);

// The newest version this binary knows for `backend`.
int LatestSchemaVersion(Backend backend);

}  // namespace custos::storage
