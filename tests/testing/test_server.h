// TestServer: the real server (Runtime + Server) on port 0 in a background thread, on SQLite in a
// temporary folder or on the PostgreSQL that the test run provides, with the demo users seeded.
// Time comes from a FakeClock that tests can move.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "custos/core/clock.h"
#include "custos/server/runtime.h"
#include "testing/temp_dir.h"

namespace custos::testing {

enum class TestBackend { kSqlite, kPostgres };

struct TestServerOptions {
  TestBackend backend = TestBackend::kSqlite;
  bool demo = true;                                           // admin needs no second factor
  std::vector<std::pair<std::string, std::string>> settings;  // extra config (name, value)
  std::string web_dir;                                        // empty: none
};

class TestServer {
 public:
  // Starts the server; aborts the test (ASSERT) when it cannot. For kPostgres, skips when no
  // PostgreSQL URL is set (check `skipped()`).
  explicit TestServer(TestServerOptions options = {});
  ~TestServer();

  // Stops the server gracefully (the data folder stays until destruction). Idempotent.
  void Stop();
  bool skipped() const { return skipped_; }
  int port() const { return server_->port(); }
  FakeClock& clock() { return clock_; }
  server::Runtime& runtime() { return *runtime_; }
  server::Server& server() { return *server_; }
  const TempDir& dir() const { return dir_; }
  // A bearer token for a demo user (password kDemoPassword).
  std::string TokenFor(const std::string& username);

 private:
  TempDir dir_;
  FakeClock clock_;
  std::string schema_;
  std::string postgres_url_;
  bool skipped_ = false;
  std::unique_ptr<server::Runtime> runtime_;
  std::unique_ptr<server::Server> server_;
  std::thread thread_;
};

// A fresh, empty schema on the test PostgreSQL and a URL that uses it; empty when none is set.
struct PostgresSchema {
  std::string url;
  std::string name;
};
PostgresSchema CreatePostgresSchema();
void DropPostgresSchema(const PostgresSchema& schema);

}  // namespace custos::testing
