#include "custos/core/config.h"

#include <toml++/toml.h>
#include <charconv>
#include <cstdlib>
#include <filesystem>

namespace custos {

namespace {

struct Setting {
  SettingInfo info;
  std::function<Status(Config&, std::string_view)> apply;
};

Status ParseInt(std::string_view name, std::string_view text, std::int64_t& out) {
  const auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (error != std::errc() || ptr != text.data() + text.size()) {
    return Status::InvalidArgument(std::string(name) + " must be a whole number",
                                   std::string(name));
  }
  return Status::Ok();
}

Setting StringSetting(std::string name, std::string help, std::string Config::*member) {
  return {{name, "", std::move(help)}, [member](Config& c, std::string_view v) {
            c.*member = std::string(v);
            return Status::Ok();
          }};
}

template <typename Int>
Setting IntSetting(std::string name, std::string help, Int Config::*member, std::int64_t min,
                   std::int64_t max) {
  return {{name, "", std::move(help)}, [member, name, min, max](Config& c, std::string_view v) {
            std::int64_t value = 0;
            CUSTOS_RETURN_IF_ERROR(ParseInt(name, v, value));
            if (value < min || value > max) {
              return Status::InvalidArgument(
                  name + " must be between " + std::to_string(min) + " and " + std::to_string(max),
                  name);
            }
            c.*member = static_cast<Int>(value);
            return Status::Ok();
          }};
}

Setting BoolSetting(std::string name, std::string help, bool Config::*member) {
  return {{name, "", std::move(help)}, [member, name](Config& c, std::string_view v) {
            if (v == "true" || v == "1" || v == "yes" || v == "on") {
              c.*member = true;
            } else if (v == "false" || v == "0" || v == "no" || v == "off") {
              c.*member = false;
            } else {
              return Status::InvalidArgument(name + " must be true or false", name);
            }
            return Status::Ok();
          }};
}

std::vector<Setting> MakeSettings() {
  std::vector<Setting> settings = {
      StringSetting("storage.data_dir", "folder for the database, keys and blobs",
                    &Config::data_dir),
      StringSetting("storage.database",
                    "SQLite path or postgresql:// URL (default: <data_dir>/custos.db)",
                    &Config::database),
      IntSetting("storage.pool_size", "database connections", &Config::database_pool_size, 1, 256),
      StringSetting("http.address", "address to listen on", &Config::http_address),
      IntSetting("http.port", "port to listen on (0 picks a free one)", &Config::http_port, 0,
                 65535),
      StringSetting("http.web_dir", "folder of the built web app", &Config::web_dir),
      IntSetting("http.io_threads", "network threads", &Config::http_io_threads, 1, 64),
      IntSetting("http.worker_threads", "threads for blocking work (database, hashing)",
                 &Config::http_worker_threads, 1, 256),
      IntSetting("http.max_body_bytes", "larger request bodies get 413",
                 &Config::http_max_body_bytes, 1024, std::int64_t{1} << 32),
      IntSetting("http.max_header_bytes", "larger request headers get 431",
                 &Config::http_max_header_bytes, 1024, 1 << 20),
      IntSetting("http.read_timeout_seconds", "time a client has to send a whole request",
                 &Config::http_read_timeout_seconds, 1, 3600),
      IntSetting("http.idle_timeout_seconds", "keep-alive connections idle longer are closed",
                 &Config::http_idle_timeout_seconds, 1, 3600),
      BoolSetting("http.enable_bench_routes", "serve /bench/hello for benchmarks",
                  &Config::http_enable_bench_routes),
      IntSetting("auth.idle_timeout_seconds", "sessions unused this long end (automatic logoff)",
                 &Config::auth_idle_timeout_seconds, 60, 24 * 3600),
      IntSetting("auth.session_lifetime_seconds", "sessions end this long after login",
                 &Config::auth_session_lifetime_seconds, 60, 30 * 24 * 3600),
      IntSetting("auth.max_failed_logins", "failed logins in a row that lock an account",
                 &Config::auth_max_failed_logins, 1, 100),
      IntSetting("auth.lockout_seconds", "how long a lockout lasts (an admin can unlock sooner)",
                 &Config::auth_lockout_seconds, 1, 365 * 24 * 3600),
      BoolSetting("auth.require_admin_totp", "admins must use a second factor",
                  &Config::auth_require_admin_totp),
      IntSetting("auth.argon2_ops_limit", "Argon2id passes", &Config::auth_argon2_ops_limit, 1,
                 100),
      IntSetting("auth.argon2_mem_limit_bytes", "Argon2id memory",
                 &Config::auth_argon2_mem_limit_bytes, 8192, std::int64_t{4} << 30),
      IntSetting("audit.checkpoint_every_events", "sign a checkpoint after this many events",
                 &Config::audit_checkpoint_every_events, 1, 1 << 30),
      IntSetting("audit.checkpoint_every_seconds", "and at least this often while events arrive",
                 &Config::audit_checkpoint_every_seconds, 1, 24 * 3600),
      StringSetting("log.level", "debug, info, warn or error", &Config::log_level),
      BoolSetting("demo", "demo mode: admin second factor not required (shown on screen)",
                  &Config::demo),
  };
  for (auto& setting : settings) {
    std::string env = "CUSTOS_";
    for (char c : setting.info.name) env += c == '.' ? '_' : static_cast<char>(std::toupper(c));
    setting.info.env_name = env;
  }
  return settings;
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = MakeSettings();
  return settings;
}

Status ApplyTomlTable(Config& config, const toml::table& table, const std::string& prefix) {
  for (const auto& [key, node] : table) {
    const std::string name =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const auto* sub = node.as_table()) {
      CUSTOS_RETURN_IF_ERROR(ApplyTomlTable(config, *sub, name));
      continue;
    }
    std::string text;
    if (auto s = node.value<std::string>(); s && node.is_string()) {
      text = *s;
    } else if (node.is_integer()) {
      text = std::to_string(*node.value<std::int64_t>());
    } else if (node.is_boolean()) {
      text = *node.value<bool>() ? "true" : "false";
    } else {
      return Status::InvalidArgument("configuration value of unsupported type", name);
    }
    CUSTOS_RETURN_IF_ERROR(ApplySetting(config, name, text));
  }
  return Status::Ok();
}

}  // namespace

std::string Config::DatabaseUrl() const {
  if (!database.empty()) return database;
  return (std::filesystem::path(data_dir) / "custos.db").string();
}

const std::vector<SettingInfo>& AllSettings() {
  static const std::vector<SettingInfo> infos = [] {
    std::vector<SettingInfo> out;
    for (const auto& s : Settings()) out.push_back(s.info);
    return out;
  }();
  return infos;
}

Status ApplySetting(Config& config, std::string_view name, std::string_view value) {
  for (const auto& setting : Settings()) {
    if (setting.info.name == name) return setting.apply(config, value);
  }
  return Status::InvalidArgument("unknown setting " + std::string(name), std::string(name));
}

Result<Config> LoadConfig(const std::string& config_file,
                          const std::vector<std::pair<std::string, std::string>>& flags) {
  Config config;
  // The data dir decides where the default file is, so settle it first.
  if (const char* env = std::getenv("CUSTOS_STORAGE_DATA_DIR")) config.data_dir = env;
  for (const auto& [name, value] : flags) {
    if (name == "storage.data_dir") config.data_dir = value;
  }
  std::string file = config_file;
  if (file.empty()) {
    const auto candidate = std::filesystem::path(config.data_dir) / "custos.toml";
    if (std::filesystem::exists(candidate)) file = candidate.string();
  }
  if (!file.empty()) {
    toml::table table;
    try {
      table = toml::parse_file(file);
    } catch (const toml::parse_error& error) {
      return Status::InvalidArgument(
          "cannot read configuration file " + file + ": " + std::string(error.description()),
          "config");
    }
    CUSTOS_RETURN_IF_ERROR(ApplyTomlTable(config, table, ""));
  }
  for (const auto& setting : Settings()) {
    if (const char* env = std::getenv(setting.info.env_name.c_str())) {
      CUSTOS_RETURN_IF_ERROR(setting.apply(config, env));
    }
  }
  for (const auto& [name, value] : flags) CUSTOS_RETURN_IF_ERROR(ApplySetting(config, name, value));
  return config;
}

}  // namespace custos
