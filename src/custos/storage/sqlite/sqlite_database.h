// SqliteDatabase: the embedded default backend.
//
// Each connection runs in WAL mode with foreign keys on, a busy timeout, secure_delete (deleted
// content is overwritten, so destruction of records is real) and a cache of prepared statements.
// The pool hands one connection to each concurrent transaction, so in practice each worker
// thread works on its own connection. Writers are serialised by SQLite; a read-write
// transaction takes the write lock at BEGIN so that two writers can never deadlock.
// An in-memory database (":memory:") has exactly one connection.
#pragma once

#include <memory>
#include <string>

#include "custos/storage/database.h"

namespace custos::storage {

struct SqliteOptions {
  std::string path;  // file path or ":memory:"
  int pool_size = 8;
  int busy_timeout_ms = 5000;
  // Pages of write-ahead log waiting to be copied back that start a checkpoint (4 KiB each).
  int checkpoint_pages = 4096;
};

// Opens (creating if needed) the database file. kUnavailable if it cannot be opened.
Result<std::unique_ptr<Database>> OpenSqliteDatabase(const SqliteOptions& options);

}  // namespace custos::storage
