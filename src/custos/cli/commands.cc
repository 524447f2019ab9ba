#include "custos/cli/commands.h"

#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "custos/clinical/importer.h"
#include "custos/core/log.h"
#include "custos/patients/evaluation.h"
#include "custos/patients/matcher.h"
#include "custos/patients/patient_index.h"
#include "custos/patients/registry.h"
#include "custos/server/runtime.h"
#include "custos/storage/migrations.h"

namespace custos::cli {

namespace {

using namespace std::chrono_literals;

constexpr int kExitOk = 0;
constexpr int kExitCheckFailed = 1;
constexpr int kExitError = 2;

// Options every subcommand shares.
struct CommonOptions {
  std::string data_dir;
  std::string database;
  std::string config_file;
  std::string log_level;
  std::vector<std::string> settings;                       // NAME=VALUE
  std::vector<std::pair<std::string, std::string>> extra;  // added by subcommand flags
};

void AddCommonOptions(CLI::App& command, CommonOptions& options) {
  command.add_option("--data-dir", options.data_dir, "Data folder (default ./var)");
  command.add_option(
      "--database", options.database,
      "SQLite file or postgresql://user@host:port/db (default <data-dir>/custos.db)");
  command.add_option("--config", options.config_file,
                     "Configuration file (default <data-dir>/custos.toml)");
  command.add_option("--log-level", options.log_level, "debug, info, warn or error");
  command.add_option("--set", options.settings,
                     "Any setting as NAME=VALUE, e.g. --set http.io_threads=2");
}

Result<Config> BuildConfig(const CommonOptions& options) {
  std::vector<std::pair<std::string, std::string>> flags;
  if (!options.data_dir.empty()) flags.emplace_back("storage.data_dir", options.data_dir);
  if (!options.database.empty()) flags.emplace_back("storage.database", options.database);
  if (!options.log_level.empty()) flags.emplace_back("log.level", options.log_level);
  for (const auto& setting : options.settings) {
    const size_t equals = setting.find('=');
    if (equals == std::string::npos) {
      return Status::InvalidArgument("--set takes NAME=VALUE, got " + setting, "set");
    }
    flags.emplace_back(setting.substr(0, equals), setting.substr(equals + 1));
  }
  for (const auto& flag : options.extra) flags.push_back(flag);
  CUSTOS_ASSIGN_OR_RETURN(Config config, LoadConfig(options.config_file, flags));
  SetLogLevel(config.log_level);
  return config;
}

Result<std::unique_ptr<server::Runtime>> OpenRuntime(const CommonOptions& options) {
  CUSTOS_ASSIGN_OR_RETURN(Config config, BuildConfig(options));
  return server::Runtime::Open(config);
}

RequestContext OperatorContext() {
  const char* user = std::getenv("USER");
  return RequestContext::System(std::string("cli:") + (user ? user : "operator"), "cli");
}

// A progress bar on stderr for long commands: redrawn in place on a terminal, one line every five
// seconds otherwise (logs of scheduled jobs).
class ProgressBar {
 public:
  ProgressBar() : tty_(::isatty(STDERR_FILENO) != 0), start_(Clock::now()), drawn_(start_ - 1h) {}

  // `done` is the share finished (0 to 1); `detail` says what (counts, rates).
  void Show(double done, std::string_view detail, bool force = false) {
    const auto now = Clock::now();
    if (!force && now - drawn_ < (tty_ ? 200ms : 5s)) return;
    drawn_ = now;
    done = std::clamp(done, 0.0, 1.0);
    const double seconds = Seconds();
    const double eta = done > 0 ? seconds * (1 - done) / done : 0;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(done * kWidth);
    std::cerr << (tty_ ? "\r" : "") << "[" << std::string(static_cast<size_t>(filled), '=')
              << std::string(static_cast<size_t>(kWidth - filled), ' ') << "] " << detail
              << ", ETA " << static_cast<int>(eta) << " s" << (tty_ ? "  " : "\n") << std::flush;
  }
  // Ends the bar's line on a terminal.
  void Finish() const {
    if (tty_) std::cerr << "\n";
  }
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  using Clock = std::chrono::steady_clock;
  bool tty_;
  Clock::time_point start_;
  Clock::time_point drawn_;
};

int Fail(const Status& status) {
  std::cerr << "custos: " << status.message();
  if (!status.field().empty()) std::cerr << " (" << status.field() << ")";
  std::cerr << "\n";
  return kExitError;
}

std::string ReadPasswordFromTerminal(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  termios old_settings{};
  const bool tty = ::tcgetattr(STDIN_FILENO, &old_settings) == 0;
  if (tty) {
    termios quiet = old_settings;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string password;
  std::getline(std::cin, password);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old_settings);
    std::cerr << "\n";
  }
  return password;
}

Result<std::string> PasswordOrPrompt(const std::string& given) {
  if (!given.empty()) return given;
  const std::string first = ReadPasswordFromTerminal("Password: ");
  if (::isatty(STDIN_FILENO)) {
    if (ReadPasswordFromTerminal("Repeat password: ") != first) {
      return Status::InvalidArgument("the passwords do not match", "password");
    }
  }
  return first;
}

// Finishes an administrative command: a signed checkpoint covers what it wrote.
int Checkpoint(server::Runtime& runtime) {
  auto written = runtime.audit_trail().WriteCheckpoint(runtime.database());
  if (!written.ok()) return Fail(written.status());
  return kExitOk;
}

Result<auth::User> FindUser(server::Runtime& runtime, const RequestContext& context,
                            const std::string& username) {
  CUSTOS_ASSIGN_OR_RETURN(const std::string normalized, auth::NormalizeUsername(username));
  std::string cursor;
  while (true) {
    CUSTOS_ASSIGN_OR_RETURN(auth::UserPage page,
                            runtime.accounts().ListUsers(context, normalized, 500, cursor));
    for (auto& user : page.users) {
      if (user.username == normalized) return user;
    }
    if (!page.next_cursor) break;
    cursor = *page.next_cursor;
  }
  return Status::NotFound("no user " + normalized);
}

std::string JoinRoles(const std::vector<auth::Role>& roles) {
  std::string out;
  for (auth::Role role : roles) {
    if (!out.empty()) out += ",";
    out += auth::RoleName(role);
  }
  return out;
}

// The files to import from files and folders (recursively): .json, .json.gz, .ndjson(.gz), with
// Synthea's shared organisation and practitioner bundles first so that references find them.
Result<std::vector<std::filesystem::path>> CollectImportFiles(
    const std::vector<std::string>& paths) {
  std::vector<std::filesystem::path> files;
  for (const auto& path : paths) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path, error)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_regular_file() &&
            (name.ends_with(".json") || name.ends_with(".json.gz") || name.ends_with(".ndjson") ||
             name.ends_with(".ndjson.gz"))) {
          files.push_back(entry.path());
        }
      }
    } else if (std::filesystem::is_regular_file(path, error)) {
      files.emplace_back(path);
    } else {
      return Status::NotFound("no such file or folder: " + path);
    }
  }
  std::sort(files.begin(), files.end());
  std::stable_sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    auto shared = [](const std::filesystem::path& p) {
      const std::string name = p.filename().string();
      return name.starts_with("hospitalInformation") || name.starts_with("practitionerInformation");
    };
    return shared(a) && !shared(b);
  });
  return files;
}

void PrintDemoLogins() {
  std::cout << "Demo logins (password for all: " << server::kDemoPassword << "):\n";
  for (const auto& user : server::DemoUsers()) {
    std::cout << "  " << user.username << std::string(12 - user.username.size(), ' ') << user.role
              << "\n";
  }
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{
      "Custos: health information management.\nRun `custos COMMAND --help` for a command's "
      "options."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(server::kVersion));
  int exit_code = kExitOk;

  // serve
  CommonOptions serve_options;
  CLI::App* serve = app.add_subcommand("serve", "Run the HTTP server (API, FHIR, web app)");
  AddCommonOptions(*serve, serve_options);
  std::string http_port, http_address, web_dir;
  bool serve_demo = false;
  serve->add_option("--http-port", http_port, "Port (default 8080; 0 picks a free one)");
  serve->add_option("--http-address", http_address, "Address to listen on (default 127.0.0.1)");
  serve->add_option("--web-dir", web_dir, "Folder of the built web app (default web/dist)");
  serve->add_flag("--demo", serve_demo,
                  "Demo mode: admins need no second factor (shown on screen)");
  serve->callback([&] {
    if (!http_port.empty()) serve_options.extra.emplace_back("http.port", http_port);
    if (!http_address.empty()) serve_options.extra.emplace_back("http.address", http_address);
    if (!web_dir.empty()) serve_options.extra.emplace_back("http.web_dir", web_dir);
    if (serve_demo) serve_options.extra.emplace_back("demo", "true");
    auto runtime = OpenRuntime(serve_options);
    if (!runtime.ok()) {
      exit_code = Fail(runtime.status());
      return;
    }
    server::Server http_server(**runtime);
    const Status listening = http_server.Listen();
    if (!listening.ok()) {
      exit_code = Fail(listening);
      return;
    }
    const Config& config = (*runtime)->config();
    const std::string host = config.http_address == "0.0.0.0" ? "127.0.0.1" : config.http_address;
    std::cout << "listening on http://" << host << ":" << http_server.port() << std::endl;
    if (config.demo)
      std::cout << "Demo mode: the second factor is not required for admin." << std::endl;
    const Status served = http_server.Run();
    if (!served.ok()) exit_code = Fail(served);
  });

  // init
  CommonOptions init_options;
  CLI::App* init = app.add_subcommand("init", "Create the data folder, database and signing key");
  AddCommonOptions(*init, init_options);
  bool init_demo = false;
  std::string demo_data = "data/demo/synthea";
  init->add_flag("--demo", init_demo,
                 "Also create demo users (one per role) and load demo patients");
  init->add_option("--demo-data", demo_data,
                   "Folder of FHIR bundles loaded by --demo when no patient exists yet");
  init->callback([&] {
    auto runtime = OpenRuntime(init_options);
    if (!runtime.ok()) {
      exit_code = Fail(runtime.status());
      return;
    }
    server::Runtime& rt = **runtime;
    std::cout << "data folder: " << rt.config().data_dir << "\n"
              << "database: " << storage::BackendName(rt.database().backend())
              << ", schema version " << storage::LatestSchemaVersion(rt.database().backend())
              << "\n"
              << "audit signing key: " << rt.signer().key_id() << "\n";
    if (init_demo) {
      auto created = server::SeedDemoUsers(rt, OperatorContext());
      if (!created.ok()) {
        exit_code = Fail(created.status());
        return;
      }
      if (*created > 0) std::cout << "created " << *created << " demo users\n";
      auto patients = rt.search().Run(OperatorContext(), "Patient", {{"_summary", "count"}});
      if (!patients.ok()) {
        exit_code = Fail(patients.status());
        return;
      }
      if (patients->total == 0 && std::filesystem::is_directory(demo_data)) {
        auto files = CollectImportFiles({demo_data});
        std::vector<std::string> paths;
        if (files.ok()) {
          for (const auto& file : *files) paths.push_back(file.string());
        }
        clinical::Importer importer(rt.database(), rt.resources(), rt.audit_trail());
        clinical::ImportStats stats;
        const Status imported =
            files.ok() ? importer.ImportFiles(OperatorContext(), paths, stats) : files.status();
        if (!imported.ok()) {
          exit_code = Fail(imported);
          return;
        }
        std::cout << "loaded " << stats.resources << " demo clinical resources from " << demo_data
                  << "\n";
        auto duplicates = server::SeedDemoDuplicates(rt, OperatorContext());
        if (!duplicates.ok()) {
          exit_code = Fail(duplicates.status());
          return;
        }
        std::cout << "registered " << *duplicates
                  << " look-alike demo patients for the duplicate queue\n";
      } else if (patients->total == 0) {
        std::cout << "no demo patients loaded: " << demo_data
                  << " is not a folder (run from the repository root, or pass --demo-data DIR)\n";
      }
      PrintDemoLogins();
    } else {
      auto empty = rt.accounts().IsEmpty();
      if (empty.ok() && *empty) {
        std::cout << "No users yet. Create the first administrator:\n"
                  << "  custos user add --username NAME --role admin\n";
      }
    }
    exit_code = Checkpoint(rt);
  });

  // migrate
  CommonOptions migrate_options;
  CLI::App* migrate = app.add_subcommand("migrate", "Apply pending database migrations");
  AddCommonOptions(*migrate, migrate_options);
  migrate->callback([&] {
    auto runtime = OpenRuntime(migrate_options);  // opening migrates
    if (!runtime.ok()) {
      exit_code = Fail(runtime.status());
      return;
    }
    std::cout << "schema version " << storage::LatestSchemaVersion((*runtime)->database().backend())
              << "\n";
  });

  // user …
  CLI::App* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);

  CommonOptions add_options;
  CLI::App* add = user->add_subcommand(
      "add", "Create a user (prompts for the password when --password is absent)");
  AddCommonOptions(*add, add_options);
  std::string add_username, add_password, add_display;
  std::vector<std::string> add_roles;
  add->add_option("--username", add_username, "Login name")->required();
  add->add_option("--password", add_password, "Password (at least 12 characters)");
  add->add_option("--display-name", add_display, "Name shown to people (default: the username)");
  add->add_option("--role", add_roles,
                  "Role (repeat for several): admin, registrar, him_analyst, coder, "
                  "roi_specialist, clinician, privacy_officer, auditor, patient")
      ->required();
  add->callback([&] {
    auto runtime = OpenRuntime(add_options);
    if (!runtime.ok()) {
      exit_code = Fail(runtime.status());
      return;
    }
    auto password = PasswordOrPrompt(add_password);
    if (!password.ok()) {
      exit_code = Fail(password.status());
      return;
    }
    auth::NewUser request{add_username, add_display.empty() ? add_username : add_display, *password,
                          add_roles};
    auto created = (*runtime)->accounts().CreateUser(OperatorContext(), request);
    if (!created.ok()) {
      exit_code = Fail(created.status());
      return;
    }
    std::cout << "created user " << created->username << " (" << JoinRoles(created->roles) << ")\n";
    exit_code = Checkpoint(**runtime);
  });

  CommonOptions list_options;
  CLI::App* list = user->add_subcommand("list", "List users");
  AddCommonOptions(*list, list_options);
  list->callback([&] {
    auto runtime = OpenRuntime(list_options);
    if (!runtime.ok()) {
      exit_code = Fail(runtime.status());
      return;
    }
    std::string cursor;
    std::cout << "username\tstatus\troles\tsecond_factor\tlast_login\n";
    while (true) {
      auto page = (*runtime)->accounts().ListUsers(OperatorContext(), "", 500, cursor);
      if (!page.ok()) {
        exit_code = Fail(page.status());
        return;
      }
      for (const auto& u : page->users) {
        std::cout << u.username << "\t"
                  << (u.disabled ? "disabled"
                      : u.locked ? "locked"
                                 : "active")
                  << "\t" << JoinRoles(u.roles) << "\t" << (u.totp_enabled ? "yes" : "no") << "\t"
                  << u.last_login_at.value_or("-") << "\n";
      }
      if (!page->next_cursor) break;
      cursor = *page->next_cursor;
    }
  });

  CommonOptions disable_options;
  CLI::App* disable = user->add_subcommand("disable", "Disable a user; their sessions end at once");
  AddCommonOptions(*disable, disable_options);
  std::string disable_username;
  disable->add_option("--username", disable_username, "Login name")->required();
  disable->callback([&] {
    auto runtime = OpenRuntime(disable_options);
    if (!runtime.ok()) {
      exit_code = Fail(runtime.status());
      return;
    }
    const RequestContext context = OperatorContext();
    auto found = FindUser(**runtime, context, disable_username);
    auto done = found.ok() ? (*runtime)->accounts().DisableUser(context, found->id) : found;
    if (!done.ok()) {
      exit_code = Fail(done.status());
      return;
    }
    std::cout << "disabled " << done->username << "\n";
    exit_code = Checkpoint(**runtime);
  });

  CommonOptions passwd_options;
  CLI::App* passwd =
      user->add_subcommand("passwd", "Set a user's password (prompts when --password is absent)");
  AddCommonOptions(*passwd, passwd_options);
  std::string passwd_username, passwd_password;
  passwd->add_option("--username", passwd_username, "Login name")->required();
  passwd->add_option("--password", passwd_password, "New password");
  passwd->callback([&] {
    auto runtime = OpenRuntime(passwd_options);
    if (!runtime.ok()) {
      exit_code = Fail(runtime.status());
      return;
    }
    const RequestContext context = OperatorContext();
    auto found = FindUser(**runtime, context, passwd_username);
    if (!found.ok()) {
      exit_code = Fail(found.status());
      return;
    }
    auto password = PasswordOrPrompt(passwd_password);
    auto done = password.ok() ? (*runtime)->accounts().ResetPassword(context, found->id, *password)
                              : Result<auth::User>(password.status());
    if (!done.ok()) {
      exit_code = Fail(done.status());
      return;
    }
    std::cout << "password set for " << done->username << "; they must change it at next login\n";
    exit_code = Checkpoint(**runtime);
  });

  CommonOptions roles_options;
  CLI::App* roles = user->add_subcommand("roles", "Set a user's roles");
  AddCommonOptions(*roles, roles_options);
  std::string roles_username;
  std::vector<std::string> roles_list;
  roles->add_option("--username", roles_username, "Login name")->required();
  roles->add_option("--role", roles_list, "Role (repeat for several)")->required();
  roles->callback([&] {
    auto runtime = OpenRuntime(roles_options);
    if (!runtime.ok()) {
      exit_code = Fail(runtime.status());
      return;
    }
    const RequestContext context = OperatorContext();
    auto found = FindUser(**runtime, context, roles_username);
    auth::UserChanges changes;
    changes.roles = roles_list;
    auto done = found.ok() ? (*runtime)->accounts().UpdateUser(context, found->id, changes) : found;
    if (!done.ok()) {
      exit_code = Fail(done.status());
      return;
    }
    std::cout << done->username << ": " << JoinRoles(done->roles) << "\n";
    exit_code = Checkpoint(**runtime);
  });

  // audit …
  CLI::App* audit_command = app.add_subcommand("audit", "Check and export the audit trail");
  audit_command->require_subcommand(1);

  CommonOptions verify_options;
  CLI::App* verify = audit_command->add_subcommand(
      "verify",
      "Check the hash chain and signed checkpoints; exit 1 naming the first bad sequence number");
  AddCommonOptions(*verify, verify_options);
  std::vector<std::string> trusted_keys;
  verify->add_option("--public-key", trusted_keys,
                     "Trust checkpoints signed by this key (hex; default: the data folder's key)");
  verify->callback([&] {
    auto runtime = OpenRuntime(verify_options);
    if (!runtime.ok()) {
      exit_code = Fail(runtime.status());
      return;
    }
    audit::VerifyOptions options = (*runtime)->verify_options();
    if (!trusted_keys.empty()) options.trusted_public_keys = trusted_keys;
    const auto start = std::chrono::steady_clock::now();
    auto report = audit::AuditTrail::Verify((*runtime)->database(), options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!report.ok()) {
      exit_code = Fail(report.status());
      return;
    }
    if (report->ok) {
      std::cout << "audit trail intact: " << report->events_checked << " events, "
                << report->checkpoints_checked << " signed checkpoints checked in " << seconds
                << " s\n";
      exit_code = kExitOk;
    } else {
      std::cout << "audit trail BROKEN at sequence " << *report->first_bad_sequence << ": "
                << report->problem << "\n";
      exit_code = kExitCheckFailed;
    }
  });

  CommonOptions export_options;
  CLI::App* export_command = audit_command->add_subcommand("export", "Write audit events as CSV");
  AddCommonOptions(*export_command, export_options);
  std::string out_file, actor, action, patient, from, to;
  export_command->add_option("--out", out_file, "File to write (default: standard output)");
  export_command->add_option("--actor", actor, "Only this username");
  export_command->add_option("--action", action, "Only this action, e.g. user.create");
  export_command->add_option("--patient", patient, "Only events about this patient id");
  export_command->add_option("--from", from, "From this time (RFC 3339 or a date), inclusive");
  export_command->add_option("--to", to, "Until this time, exclusive");
  export_command->callback([&] {
    auto runtime = OpenRuntime(export_options);
    if (!runtime.ok()) {
      exit_code = Fail(runtime.status());
      return;
    }
    audit::AuditFilter filter;
    if (!actor.empty()) filter.actor_name = actor;
    if (!action.empty()) filter.action = action;
    if (!patient.empty()) filter.patient_id = patient;
    for (auto [text, bound, name] :
         {std::tuple{&from, &filter.from, "from"}, std::tuple{&to, &filter.to, "to"}}) {
      if (text->empty()) continue;
      *bound = ParseTimestamp(*text);
      if (!*bound) {
        exit_code = Fail(Status::InvalidArgument("not a date or time: " + *text, name));
        return;
      }
    }
    auto csv = (*runtime)->audit_review().ExportCsv(OperatorContext(), filter);
    if (!csv.ok()) {
      exit_code = Fail(csv.status());
      return;
    }
    if (out_file.empty()) {
      std::cout << *csv;
    } else {
      std::ofstream(out_file, std::ios::binary) << *csv;
    }
    exit_code = Checkpoint(**runtime);
  });

  CommonOptions pubkey_options;
  CLI::App* pubkey =
      audit_command->add_subcommand("pubkey", "Print the public key that signs audit checkpoints");
  AddCommonOptions(*pubkey, pubkey_options);
  pubkey->callback([&] {
    auto runtime = OpenRuntime(pubkey_options);
    if (!runtime.ok()) {
      exit_code = Fail(runtime.status());
      return;
    }
    std::cout << (*runtime)->signer().public_key_hex() << "\n";
  });

  CommonOptions version_options;
  // import fhir …
  CLI::App* import_command = app.add_subcommand("import", "Load data in bulk");
  import_command->require_subcommand(1);
  CommonOptions import_options;
  CLI::App* import_fhir = import_command->add_subcommand(
      "fhir", "Import FHIR bundles, NDJSON or .json.gz files (folders are read recursively)");
  AddCommonOptions(*import_fhir, import_options);
  std::vector<std::string> import_paths;
  import_fhir->add_option("paths", import_paths, "Files or folders")->required();
  import_fhir->callback([&] {
    auto runtime = OpenRuntime(import_options);
    if (!runtime.ok()) {
      exit_code = Fail(runtime.status());
      return;
    }
    auto collected = CollectImportFiles(import_paths);
    if (!collected.ok()) {
      exit_code = Fail(collected.status());
      return;
    }
    const std::vector<std::filesystem::path> files = std::move(collected).value();
    std::uintmax_t total_bytes = 0;
    for (const auto& file : files) total_bytes += std::filesystem::file_size(file);
    clinical::Importer importer((*runtime)->database(), (*runtime)->resources(),
                                (*runtime)->audit_trail());
    clinical::ImportStats stats;
    const RequestContext context = OperatorContext();
    ProgressBar bar;
    std::vector<std::string> paths;
    std::vector<std::uintmax_t> sizes;
    for (const auto& file : files) {
      paths.push_back(file.string());
      sizes.push_back(std::filesystem::file_size(file));
    }
    std::uintmax_t done_bytes = 0;
    const Status imported = importer.ImportFiles(
        context, paths, stats, [&](size_t done, const clinical::ImportStats& so_far) {
          done_bytes += sizes[done - 1];
          const double seconds = bar.Seconds();
          bar.Show(
              total_bytes ? static_cast<double>(done_bytes) / static_cast<double>(total_bytes) : 1,
              std::to_string(done) + "/" + std::to_string(paths.size()) + " files, " +
                  std::to_string(so_far.resources) + " resources, " +
                  std::to_string(static_cast<std::int64_t>(
                      seconds > 0 ? static_cast<double>(so_far.resources) / seconds : 0)) +
                  "/s",
              done == paths.size());
        });
    bar.Finish();
    if (!imported.ok()) {
      exit_code = Fail(imported);
      return;
    }
    const double seconds = bar.Seconds();
    std::cerr << stats.files << " files, " << stats.bundles << " bundles, " << stats.duplicates
              << " repeated organisations/practitioners/locations kept once\n";
    std::cout << "imported " << stats.resources << " resources in " << seconds << " s" << std::endl;
    exit_code = Checkpoint(**runtime);
  });

  // mpi … (batch matching of person lists from CSV files, or of the registry's Patients)
  CLI::App* mpi_command =
      app.add_subcommand("mpi", "Master patient index: find duplicate or matching person records");
  mpi_command->require_subcommand(1);
  std::string mpi_records, mpi_link_to, mpi_out, mpi_truth;
  std::vector<std::string> mpi_ignored_columns;
  bool mpi_link_possible_twins = false;
  auto add_mpi_inputs = [&](CLI::App& command, bool records_required) {
    CLI::Option* records =
        command.add_option("--records", mpi_records,
                           records_required ? "Person records CSV (FEBRL layout)"
                                            : "Person records CSV (FEBRL layout); without it, "
                                              "the registry's Patients (--data-dir, --database)");
    if (records_required) records->required();
    command.add_option("--ignore-column", mpi_ignored_columns,
                       "Treat this column as missing in every row (repeatable)");
    command.add_flag("--link-possible-twins", mpi_link_possible_twins,
                     "Let pairs that look like twins (different given names, same surname, birth "
                     "date and address, no agreeing SSN) be linked instead of sent to review");
  };
  std::unique_ptr<server::Runtime> mpi_runtime;  // registry runs only
  // Runs the engine: deduplication, or linkage of --records against --link-to. The files are
  // streamed and only each row's id is kept besides its prepared record (`ids`, `other_ids`);
  // without --records the registry's Patients are read from mpi_runtime's database instead.
  auto run_mpi = [&](std::vector<std::string>& ids, std::vector<std::string>& other_ids,
                     ProgressBar* bar) -> Result<patients::MatchResult> {
    const patients::PersonCsvOptions csv{.ignore_columns = mpi_ignored_columns};
    patients::MatchOptions options;
    options.review_possible_twins = !mpi_link_possible_twins;
    const patients::NicknameTable& nicknames = patients::NicknameTable::Default();
    patients::PreparedList records;
    if (mpi_records.empty()) {
      // Reading takes about a fifth of a registry run; matching the rest.
      CUSTOS_ASSIGN_OR_RETURN(
          records,
          patients::ReadRegistryPrepared(mpi_runtime->database(), [&](size_t read, size_t total) {
            if (bar == nullptr) return;
            bar->Show(total ? 0.2 * static_cast<double>(read) / static_cast<double>(total) : 0.2,
                      "reading the registry: " + std::to_string(read) + " of " +
                          std::to_string(total) + " patients");
          }));
    } else {
      CUSTOS_ASSIGN_OR_RETURN(records, patients::ReadPreparedCsv(mpi_records, csv, nicknames));
    }
    ids = std::move(records.ids);
    const double start = mpi_records.empty() ? 0.2 : 0;
    const size_t count = ids.size();
    if (bar != nullptr) {
      options.progress = [bar, start, count](std::string_view stage, double done) {
        bar->Show(start + (1 - start) * done,
                  std::string(stage) + " " + std::to_string(count) + " records", done >= 1);
      };
    }
    if (mpi_link_to.empty()) return patients::DedupePrepared(std::move(records.records), options);
    CUSTOS_ASSIGN_OR_RETURN(patients::PreparedList others,
                            patients::ReadPreparedCsv(mpi_link_to, csv, nicknames));
    other_ids = std::move(others.ids);
    return patients::LinkPrepared(std::move(records.records), std::move(others.records), options);
  };

  CLI::App* mpi_dedupe = mpi_command->add_subcommand(
      "dedupe",
      "Find the pairs of records that are (or may be) the same person: in a CSV file, or in the "
      "registry (then they go to the duplicate work queue)");
  add_mpi_inputs(*mpi_dedupe, false);
  CommonOptions mpi_registry_options;
  AddCommonOptions(*mpi_dedupe, mpi_registry_options);
  bool mpi_dry_run = false;
  mpi_dedupe->add_flag("--dry-run", mpi_dry_run,
                       "Registry only: report the pairs but put none in the duplicate queue");
  mpi_dedupe->add_option("--out", mpi_out,
                         "Pairs CSV: id_a,id_b,score,decision (needed with --records)");
  mpi_dedupe->add_option("--link-to", mpi_link_to,
                         "Link --records against these records instead of deduplicating");
  std::string mpi_clusters;
  mpi_dedupe->add_option("--clusters", mpi_clusters,
                         "Also write rec_id,cluster_id: connected components of the links");
  mpi_dedupe->callback([&] {
    const bool registry = mpi_records.empty();
    if (!registry && mpi_out.empty()) {
      exit_code = Fail(Status::InvalidArgument("--records needs --out for the pairs", "--out"));
      return;
    }
    if (registry && !mpi_link_to.empty()) {
      exit_code = Fail(Status::InvalidArgument("--link-to needs --records", "--link-to"));
      return;
    }
    if (registry) {
      auto runtime = OpenRuntime(mpi_registry_options);
      if (!runtime.ok()) {
        exit_code = Fail(runtime.status());
        return;
      }
      mpi_runtime = std::move(runtime).value();
    }
    ProgressBar bar;
    std::vector<std::string> ids, other_ids;
    auto result = run_mpi(ids, other_ids, &bar);
    bar.Finish();
    if (!result.ok()) {
      exit_code = Fail(result.status());
      return;
    }
    if (!mpi_out.empty()) {
      std::ofstream out(mpi_out, std::ios::binary);
      out << "id_a,id_b,score,decision\n";
      char score[32];
      for (const patients::ScoredPair& pair : result->pairs()) {
        std::snprintf(score, sizeof score, "%.3f", pair.score);
        const auto& ids_b = mpi_link_to.empty() ? ids : other_ids;
        out << ids[pair.a] << ',' << ids_b[pair.b] << ',' << score << ','
            << patients::DecisionName(pair.decision) << '\n';
      }
      out.close();
      if (!out) {
        exit_code = Fail(Status::Unavailable("cannot write " + mpi_out));
        return;
      }
    }
    size_t links = 0;
    for (const patients::ScoredPair& pair : result->pairs()) {
      links += pair.decision == patients::Decision::kLink;
    }
    size_t clusters = 0;
    if (mpi_link_to.empty()) {
      const auto roots = patients::LinkClusters(*result, ids.size());
      for (size_t i = 0; i < roots.size(); ++i) clusters += roots[i] == i;
      if (!mpi_clusters.empty()) {
        std::ofstream cluster_out(mpi_clusters, std::ios::binary);
        cluster_out << "rec_id,cluster_id\n";
        for (size_t i = 0; i < roots.size(); ++i) {
          cluster_out << ids[i] << ',' << ids[roots[i]] << '\n';
        }
        cluster_out.close();
        if (!cluster_out) {
          exit_code = Fail(Status::Unavailable("cannot write " + mpi_clusters));
          return;
        }
      }
    }
    // Registry: every pair found goes to the duplicate work queue (as `open`, with the engine's
    // decision; nothing is merged without a person), except pairs already there or decided.
    std::string queued;
    if (registry && !mpi_dry_run) {
      std::vector<patients::ProposedPair> proposed;
      proposed.reserve(result->pairs().size());
      for (const patients::ScoredPair& pair : result->pairs()) {
        proposed.push_back({ids[pair.a], ids[pair.b], pair.score,
                            pair.score + result->prior_log_odds(), pair.decision});
      }
      auto added = mpi_runtime->duplicate_queue().Propose(OperatorContext(), proposed);
      if (!added.ok()) {
        exit_code = Fail(added.status());
        return;
      }
      queued = " queued=" + std::to_string(*added);
      exit_code = Checkpoint(*mpi_runtime);
      if (exit_code != kExitOk) return;
    }
    std::cerr << "records=" << ids.size() + other_ids.size()
              << " candidate_pairs=" << result->candidates().size() << " links=" << links
              << " reviews=" << result->pairs().size() - links << " clusters=" << clusters << queued
              << " seconds=" << bar.Seconds() << "\n";
  });

  CLI::App* mpi_evaluate = mpi_command->add_subcommand(
      "evaluate", "Match records and compare the links with known true pairs");
  add_mpi_inputs(*mpi_evaluate, true);
  mpi_evaluate->add_option("--link-to", mpi_link_to,
                           "Link --records against these records instead of deduplicating");
  mpi_evaluate->add_option("--truth", mpi_truth, "True pairs CSV: id_a,id_b")->required();
  mpi_evaluate->callback([&] {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::string> ids, other_ids;
    auto result = run_mpi(ids, other_ids, nullptr);
    if (!result.ok()) {
      exit_code = Fail(result.status());
      return;
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto truth = patients::ReadTruthPairs(mpi_truth);
    if (!truth.ok()) {
      exit_code = Fail(truth.status());
      return;
    }
    const patients::Evaluation evaluation =
        patients::Evaluate(*result, ids, mpi_link_to.empty() ? nullptr : &other_ids, *truth);
    std::cout << patients::FormatEvaluation(evaluation, seconds) << std::endl;
  });

  CLI::App* mpi_train = mpi_command->add_subcommand(
      "train", "Fit a match model to a registry's records without labels, for PatientIndex");
  add_mpi_inputs(*mpi_train, true);
  mpi_train->add_option("--out", mpi_out, "Model JSON to write")->required();
  mpi_train->callback([&] {
    const patients::PersonCsvOptions csv{.ignore_columns = mpi_ignored_columns};
    auto records = patients::ReadPersonCsv(mpi_records, csv);
    if (!records.ok()) {
      exit_code = Fail(records.status());
      return;
    }
    patients::MatchOptions options;
    options.review_possible_twins = !mpi_link_possible_twins;
    auto model = patients::TrainModel(*records, options);
    if (!model.ok()) {
      exit_code = Fail(model.status());
      return;
    }
    std::ofstream out(mpi_out, std::ios::binary);
    out << patients::ModelToJson(*model);
    out.close();
    if (!out) {
      exit_code = Fail(Status::Unavailable("cannot write " + mpi_out));
      return;
    }
    std::cerr << "fitted on " << records->size() << " records, " << model->matches_per_record()
              << " matches per record\n";
  });

  CLI::App* version = app.add_subcommand("version", "Print the version");
  AddCommonOptions(*version,
                   version_options);  // accepted everywhere, so scripts can pass them blindly
  version->callback([] { std::cout << "custos " << server::kVersion << "\n"; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? kExitOk : kExitError;
  }
  return exit_code;
}

}  // namespace custos::cli
