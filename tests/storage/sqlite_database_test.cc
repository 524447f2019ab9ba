// What only the SQLite backend does: keeping its write-ahead log short under steady writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>

#include "custos/storage/sqlite/sqlite_database.h"
#include "testing/temp_dir.h"

namespace custos::storage {
namespace {

std::uintmax_t FileSizeOrZero(const std::filesystem::path& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

// A writer that never pauses never begins a write with the whole log copied back, which is what
// lets SQLite start the log again from its beginning; the checkpointer must make it restart.
TEST(SqliteDatabaseTest, WriteAheadLogStaysBoundedUnderAWriterThatNeverPauses) {
  testing::TempDir dir;
  SqliteOptions options;
  options.path = dir.File("custos.db");
  options.checkpoint_pages = 16;  // forced restart at 16 × 16 pages, about 1 MiB of log
  auto database = OpenSqliteDatabase(options);
  ASSERT_TRUE(database.ok()) << database.status().ToString();
  {
    auto tx = (*database)->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->ExecuteScript("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)").ok());
    ASSERT_TRUE((*tx)->Commit().ok());
  }
  const std::string body(3000, 'x');
  std::uintmax_t longest_log = 0;
  // About 4,000 pages written in all: without restarts the log would reach ~16 MiB.
  for (int i = 0; i < 4000; ++i) {
    auto tx = (*database)->Begin();
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    ASSERT_TRUE((*tx)->Execute("INSERT INTO t (body) VALUES ($1)", {Bytes{body}}).ok());
    ASSERT_TRUE((*tx)->Commit().ok());
    longest_log = std::max(longest_log, FileSizeOrZero(dir.File("custos.db-wal")));
  }
  // The restart is forced at 1 MiB: it waits for a passive checkpoint that is running rather
  // than give up (on CI's slow disk it gave up nearly every time and the log reached 7.8 MiB).
  EXPECT_LT(longest_log, std::uintmax_t{2} << 20);
}

}  // namespace
}  // namespace custos::storage
