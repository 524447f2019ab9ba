// PostgresDatabase: the scale-out backend, on libpq.
//
// A pool of connections (opened lazily up to `pool_size`); each transaction holds one connection
// from BEGIN to COMMIT/ROLLBACK. Statements are prepared once per connection and cached by their
// text. Query results stream in libpq's single-row mode, so a large result is never held whole in
// memory. Read-write transactions run at READ COMMITTED; read-only ones at REPEATABLE READ READ
// ONLY (a consistent snapshot). A connection that breaks is dropped and replaced.
#pragma once

#include <memory>
#include <string>

#include "custos/storage/database.h"

namespace custos::storage {

struct PostgresOptions {
  std::string url;  // postgresql://user:password@host:port/dbname?options
  int pool_size = 8;
};

// Opens one connection to check the URL. kUnavailable if the server cannot be reached.
Result<std::unique_ptr<Database>> OpenPostgresDatabase(const PostgresOptions& options);

}  // namespace custos::storage
