// Config: every setting of the server and the tools, read from three places with rising
// precedence: the configuration file (TOML, `<data-dir>/custos.toml` or --config FILE), the
// environment (CUSTOS_<SECTION>_<KEY>, e.g. CUSTOS_HTTP_PORT), and command-line flags. Each
// setting has one dotted name ("http.port") used in all three; `custos serve --help` and
// docs/CONFIGURATION.md list them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "custos/core/status.h"

namespace custos {

struct Config {
  // [storage]
  std::string data_dir = "./var";
  std::string database;  // empty: <data_dir>/custos.db; a path, or postgresql://…
  int database_pool_size = 8;
  // [http]
  std::string http_address = "127.0.0.1";
  int http_port = 8080;
  std::string web_dir = "web/dist";
  int http_io_threads = 1;
  int http_worker_threads = 2;
  std::int64_t http_max_body_bytes = 1 << 20;
  std::int64_t http_max_header_bytes = 8 << 10;
  int http_read_timeout_seconds = 15;
  int http_idle_timeout_seconds = 30;
  bool http_enable_bench_routes = false;  // /bench/hello, the yardstick for benchmarks
  // [auth]
  int auth_idle_timeout_seconds = 15 * 60;
  int auth_session_lifetime_seconds = 12 * 60 * 60;
  int auth_max_failed_logins = 5;
  int auth_lockout_seconds = 30 * 60;
  bool auth_require_admin_totp = true;
  // Argon2id cost (libsodium units); the defaults are libsodium's "interactive" level.
  std::int64_t auth_argon2_ops_limit = 2;
  std::int64_t auth_argon2_mem_limit_bytes = 64 << 20;
  // [audit]
  int audit_checkpoint_every_events = 1000;
  int audit_checkpoint_every_seconds = 60;
  // [log]
  std::string log_level = "info";
  // Demo mode (make run): relaxes the admin second factor and says so on screen.
  bool demo = false;

  // The database URL with the default filled in.
  std::string DatabaseUrl() const;
};

// One setting as listed in --help and the docs.
struct SettingInfo {
  std::string name;      // "http.port"
  std::string env_name;  // "CUSTOS_HTTP_PORT"
  std::string help;
};
const std::vector<SettingInfo>& AllSettings();

// Sets one setting from text. kInvalidArgument naming the setting for an unknown name or a value
// of the wrong kind.
Status ApplySetting(Config& config, std::string_view name, std::string_view value);

// Builds the configuration: defaults, then the file (if `config_file` is empty,
// <data_dir>/custos.toml when it exists), then the environment, then `flags` (name, value) in
// order. The data dir itself comes from flags, then CUSTOS_STORAGE_DATA_DIR, then the default.
Result<Config> LoadConfig(const std::string& config_file,
                          const std::vector<std::pair<std::string, std::string>>& flags);

}  // namespace custos
