#include "testing/test_server.h"

#include <gtest/gtest.h>

#include "custos/core/crypto.h"
#include "custos/storage/open_database.h"
#include "testing/http_client.h"

namespace custos::testing {

PostgresSchema CreatePostgresSchema() {
  const std::string base = PostgresTestUrl();
  if (base.empty()) return {};
  PostgresSchema schema;
  schema.name = "t_" + HexEncode(RandomBytes(6));
  auto database = storage::OpenDatabase({base, 1});
  if (!database.ok()) return {};
  auto tx = (*database)->Begin();
  if (!tx.ok() || !(*tx)->ExecuteScript("CREATE SCHEMA " + schema.name).ok() ||
      !(*tx)->Commit().ok())
    return {};
  schema.url = base + (base.find('?') == std::string::npos ? "?" : "&") +
               "options=-csearch_path%3D" + schema.name;
  return schema;
}

void DropPostgresSchema(const PostgresSchema& schema) {
  if (schema.name.empty()) return;
  auto database = storage::OpenDatabase({PostgresTestUrl(), 1});
  if (!database.ok()) return;
  auto tx = (*database)->Begin();
  if (tx.ok() && (*tx)->ExecuteScript("DROP SCHEMA " + schema.name + " CASCADE").ok())
    (void)(*tx)->Commit();
}

TestServer::TestServer(TestServerOptions options) : clock_(SystemClock().Now()) {
  std::vector<std::pair<std::string, std::string>> flags = {
      {"storage.data_dir", dir_.path().string()},
      {"http.port", "0"},
      {"http.web_dir", options.web_dir.empty() ? dir_.File("no-web") : options.web_dir},
      {"demo", options.demo ? "true" : "false"},
      // Cheap hashing keeps tests fast; the production default is in Config.
      {"auth.argon2_ops_limit", "1"},
      {"auth.argon2_mem_limit_bytes", "65536"},
      {"log.level", "warn"},
  };
  if (options.backend == TestBackend::kPostgres) {
    const PostgresSchema schema = CreatePostgresSchema();
    if (schema.url.empty()) {
      skipped_ = true;
      return;
    }
    schema_ = schema.name;
    flags.emplace_back("storage.database", schema.url);
  }
  for (const auto& setting : options.settings) flags.push_back(setting);
  auto config = LoadConfig("", flags);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  auto runtime = server::Runtime::Open(*config, &clock_);
  EXPECT_TRUE(runtime.ok()) << runtime.status().ToString();
  if (!runtime.ok()) std::abort();
  runtime_ = std::move(runtime).value();
  auto seeded = server::SeedDemoUsers(*runtime_, RequestContext::System("test", "test"));
  EXPECT_TRUE(seeded.ok()) << seeded.status().ToString();
  server_ = std::make_unique<server::Server>(*runtime_);
  const Status listening = server_->Listen();
  EXPECT_TRUE(listening.ok()) << listening.ToString();
  if (!listening.ok()) std::abort();
  thread_ = std::thread([this] { (void)server_->Run(); });
}

void TestServer::Stop() {
  if (server_ && thread_.joinable()) {
    server_->Stop();
    thread_.join();
  }
}

TestServer::~TestServer() {
  Stop();
  server_.reset();
  runtime_.reset();
  if (!schema_.empty()) DropPostgresSchema({"", schema_});
}

std::string TestServer::TokenFor(const std::string& username) {
  return Login(port(), username, std::string(server::kDemoPassword));
}

}  // namespace custos::testing
