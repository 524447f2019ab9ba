// The custos binary as an operator runs it: a child process per command, in a temporary data
// folder, with its exit status, standard output and standard error.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "custos/audit/checkpoint_signer.h"
#include "custos/server/runtime.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"
#include "testing/test_server.h"

extern char** environ;

namespace custos::testing {
namespace {

constexpr std::string_view kPassword = "correct horse battery staple";

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::string all() const { return out + err; }
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

class CliTest : public ::testing::Test {
 protected:
  std::string DataDir() const { return dir_.File("data"); }

  // Runs `custos args...` in the temp dir with stdin from `input`. Adds --data-dir unless
  // `with_data_dir` is false.
  Outcome Run(std::vector<std::string> args, bool with_data_dir = true,
              const std::string& input = "") {
    if (with_data_dir) {
      args.push_back("--data-dir");
      args.push_back(DataDir());
    }
    const std::string out_path = dir_.File("stdout.txt");
    const std::string err_path = dir_.File("stderr.txt");
    const std::string in_path = dir_.File("stdin.txt");
    std::ofstream(in_path, std::ios::trunc) << input;

    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry(*e);
      // Hermetic: no settings from the environment of the test run.
      if (entry.starts_with("CUSTOS_") && !entry.starts_with("CUSTOS_TEST_")) continue;
      env.push_back(entry);
    }
    env.push_back("CUSTOS_AUTH_ARGON2_OPS_LIMIT=1");
    env.push_back("CUSTOS_AUTH_ARGON2_MEM_LIMIT_BYTES=65536");
    env.push_back("CUSTOS_LOG_LEVEL=warn");
    env.push_back("USER=cli-tester");

    std::vector<char*> argv;
    std::string binary = CUSTOS_BINARY;
    argv.push_back(binary.data());
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& entry : env) envp.push_back(entry.data());
    envp.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid == 0) {
      // Child: only async-signal-safe calls until exec.
      const int in = ::open(in_path.c_str(), O_RDONLY);
      const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (in < 0 || out < 0 || err < 0) ::_exit(126);
      ::dup2(in, STDIN_FILENO);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(err, STDERR_FILENO);
      if (::chdir(dir_.path().c_str()) != 0) ::_exit(126);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    Outcome outcome;
    if (pid < 0) {
      ADD_FAILURE() << "fork failed: " << std::strerror(errno);
      return outcome;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    outcome.out = ReadFile(out_path);
    outcome.err = ReadFile(err_path);
    return outcome;
  }

  // Runs and expects exit status 0.
  Outcome RunOk(std::vector<std::string> args) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    Outcome outcome = Run(std::move(args));
    EXPECT_EQ(outcome.exit_code, 0)
        << joined << "\nstdout: " << outcome.out << "\nstderr: " << outcome.err;
    return outcome;
  }

  Outcome AddUser(const std::string& username, const std::vector<std::string>& roles,
                  std::string_view password = kPassword) {
    std::vector<std::string> args = {"user",   "add",        "--username",
                                     username, "--password", std::string(password)};
    for (const auto& role : roles) {
      args.push_back("--role");
      args.push_back(role);
    }
    return Run(args);
  }

  // The line of `user list` for `username` (empty when absent).
  std::string ListLine(const std::string& username) {
    const Outcome list = RunOk({"user", "list"});
    std::istringstream lines(list.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with(username + "\t")) return line;
    }
    return "";
  }

  // Opens the data folder in this process, as the server would.
  std::unique_ptr<server::Runtime> OpenRuntime() {
    auto config = LoadConfig("", {{"storage.data_dir", DataDir()},
                                  {"auth.argon2_ops_limit", "1"},
                                  {"auth.argon2_mem_limit_bytes", "65536"},
                                  {"log.level", "warn"}});
    EXPECT_OK(config);
    if (!config.ok()) return nullptr;
    auto runtime = server::Runtime::Open(*config);
    EXPECT_OK(runtime);
    return runtime.ok() ? std::move(runtime).value() : nullptr;
  }

  // The status a login with these credentials gets (opens the data folder in this process).
  Status LoginStatus(const std::string& username, std::string_view password) {
    auto runtime = OpenRuntime();
    if (!runtime) return Status::Internal("no runtime");
    auth::LoginRequest request;
    request.username = username;
    request.password = std::string(password);
    return runtime->accounts().Login(request, RequestContext{}).status();
  }

  std::int64_t CountEvents(const std::string& where = "1=1") {
    sqlite3* db = nullptr;
    std::int64_t count = -1;
    if (sqlite3_open_v2((DataDir() + "/custos.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
        SQLITE_OK) {
      sqlite3_stmt* stmt = nullptr;
      const std::string sql = "SELECT COUNT(*) FROM audit_events WHERE " + where;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
          sqlite3_step(stmt) == SQLITE_ROW) {
        count = sqlite3_column_int64(stmt, 0);
      }
      sqlite3_finalize(stmt);
    }
    sqlite3_close_v2(db);
    return count;
  }

  // Edits the database file as an attacker with file access would.
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(
        sqlite3_open_v2((DataDir() + "/custos.db").c_str(), &db, SQLITE_OPEN_READWRITE, nullptr),
        SQLITE_OK);
    char* error = nullptr;
    const std::string script =
        "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; " + sql;
    const int rc = sqlite3_exec(db, script.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close_v2(db);
  }

  TempDir dir_;
};

TEST_F(CliTest, VersionPrintsTheVersion) {
  const Outcome version = Run({"version"}, false);
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "custos " + std::string(server::kVersion) + "\n");
  const Outcome flag = Run({"--version"}, false);
  EXPECT_EQ(flag.exit_code, 0);
  EXPECT_NE(flag.all().find(std::string(server::kVersion)), std::string::npos) << flag.all();
}

TEST_F(CliTest, EveryCommandAnswersHelp) {
  const std::vector<std::vector<std::string>> commands = {
      {},
      {"serve"},
      {"init"},
      {"migrate"},
      {"user"},
      {"user", "add"},
      {"user", "list"},
      {"user", "disable"},
      {"user", "passwd"},
      {"user", "roles"},
      {"audit"},
      {"audit", "verify"},
      {"audit", "export"},
      {"audit", "pubkey"},
      {"mpi"},
      {"mpi", "dedupe"},
      {"mpi", "evaluate"},
      {"mpi", "train"},
      {"version"},
  };
  for (auto args : commands) {
    std::string name = "custos";
    for (const auto& a : args) name += " " + a;
    args.push_back("--help");
    const Outcome help = Run(args, false);
    EXPECT_EQ(help.exit_code, 0) << name << ": " << help.all();
    EXPECT_NE(help.all().find("--help"), std::string::npos) << name << ": " << help.all();
  }
  // Options that a command takes are listed in its help.
  const Outcome add = Run({"user", "add", "--help"}, false);
  EXPECT_NE(add.all().find("--username"), std::string::npos);
  EXPECT_NE(add.all().find("--role"), std::string::npos);
  EXPECT_NE(add.all().find("--data-dir"), std::string::npos);
  // --help did not create a data folder.
  EXPECT_FALSE(std::filesystem::exists(dir_.File("var")));
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({}, false).exit_code, 2);
  EXPECT_EQ(Run({"frobnicate"}, false).exit_code, 2);
  EXPECT_EQ(Run({"user"}).exit_code, 2);
  EXPECT_EQ(Run({"user", "add", "--password", std::string(kPassword), "--role", "coder"}).exit_code,
            2);
  EXPECT_EQ(Run({"init", "--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(Run({"init", "--set", "novalue"}).exit_code, 2);
}

TEST_F(CliTest, InitCreatesThePrivateDataFolder) {
  const Outcome init = RunOk({"init"});
  EXPECT_NE(init.out.find("database: sqlite"), std::string::npos) << init.out;
  EXPECT_NE(init.out.find("custos user add"), std::string::npos) << init.out;  // how to go on
  struct stat info {};
  ASSERT_EQ(::stat(DataDir().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700);
  EXPECT_TRUE(std::filesystem::exists(DataDir() + "/custos.db"));
  const std::string key = DataDir() + "/audit-signing.key";
  ASSERT_EQ(::stat(key.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
}

TEST_F(CliTest, InitDemoPrintsTheDemoLogins) {
  const Outcome init = RunOk({"init", "--demo"});
  EXPECT_NE(init.out.find("Demo logins"), std::string::npos) << init.out;
  EXPECT_NE(init.out.find(std::string(server::kDemoPassword)), std::string::npos) << init.out;
  EXPECT_NE(init.out.find("created " + std::to_string(server::DemoUsers().size()) + " demo users"),
            std::string::npos)
      << init.out;
  for (const auto& demo : server::DemoUsers()) {
    EXPECT_NE(init.out.find(std::string(demo.username)), std::string::npos) << demo.username;
    EXPECT_NE(ListLine(std::string(demo.username)), "") << demo.username;
  }
  EXPECT_OK(LoginStatus("coder", server::kDemoPassword));

  // Running it again changes nothing and still succeeds.
  const Outcome again = RunOk({"init", "--demo"});
  EXPECT_EQ(again.out.find("created "), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("Demo logins"), std::string::npos);
}

TEST_F(CliTest, UserAddCreatesAUserThatListShows) {
  RunOk({"init"});
  const Outcome add = AddUser("Jane.Coder", {"coder"});
  EXPECT_EQ(add.exit_code, 0) << add.err;
  EXPECT_NE(add.out.find("created user jane.coder (coder)"), std::string::npos) << add.out;

  const std::string line = ListLine("jane.coder");
  EXPECT_EQ(line, "jane.coder\tactive\tcoder\tno\t-");
  EXPECT_OK(LoginStatus("jane.coder", kPassword));
  // Written by the operator, in the audit trail.
  EXPECT_EQ(CountEvents("action = 'user.create' AND actor = 'cli:cli-tester'"), 1);

  const Outcome two_roles = AddUser("sam", {"coder", "auditor"});
  EXPECT_EQ(two_roles.exit_code, 0) << two_roles.err;
  EXPECT_EQ(ListLine("sam"), "sam\tactive\tauditor,coder\tno\t-");

  const Outcome list = RunOk({"user", "list"});
  EXPECT_TRUE(list.out.starts_with("username\tstatus\troles")) << list.out;
}

TEST_F(CliTest, UserAddReadsThePasswordFromStandardInput) {
  const Outcome add =
      Run({"user", "add", "--username", "pat", "--role", "registrar", "--data-dir", DataDir()},
          false, std::string(kPassword) + "\n");
  EXPECT_EQ(add.exit_code, 0) << add.err;
  EXPECT_OK(LoginStatus("pat", kPassword));
}

TEST_F(CliTest, WeakPasswordFailsWithExitTwo) {
  const Outcome add = AddUser("jane", {"coder"}, "short");
  EXPECT_EQ(add.exit_code, 2);
  EXPECT_NE(add.err.find("password must be at least 12 characters"), std::string::npos) << add.err;
  EXPECT_NE(add.err.find("(password)"), std::string::npos) << add.err;
  EXPECT_EQ(ListLine("jane"), "");

  const Outcome contains_name = AddUser("jane", {"coder"}, "jane-is-my-password-x");
  EXPECT_EQ(contains_name.exit_code, 2);
  EXPECT_NE(contains_name.err.find("username"), std::string::npos) << contains_name.err;
}

TEST_F(CliTest, UnknownRoleFails) {
  const Outcome add = AddUser("jane", {"wizard"});
  EXPECT_EQ(add.exit_code, 2);
  EXPECT_NE(add.err.find("wizard"), std::string::npos) << add.err;
  EXPECT_NE(add.err.find("(roles)"), std::string::npos) << add.err;
  EXPECT_EQ(ListLine("jane"), "");
}

TEST_F(CliTest, DuplicateUserFails) {
  ASSERT_EQ(AddUser("jane", {"coder"}).exit_code, 0);
  const Outcome again = AddUser("JANE", {"auditor"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("taken"), std::string::npos) << again.err;
  EXPECT_EQ(ListLine("jane"), "jane\tactive\tcoder\tno\t-");
}

TEST_F(CliTest, UserDisable) {
  ASSERT_EQ(AddUser("jane", {"coder"}).exit_code, 0);
  const Outcome disable = RunOk({"user", "disable", "--username", "jane"});
  EXPECT_NE(disable.out.find("disabled jane"), std::string::npos) << disable.out;
  EXPECT_EQ(ListLine("jane"), "jane\tdisabled\tcoder\tno\t-");
  EXPECT_EQ(LoginStatus("jane", kPassword).reason(), "account_disabled");
  EXPECT_EQ(CountEvents("action = 'user.disable'"), 1);

  const Outcome unknown = Run({"user", "disable", "--username", "nobody"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("no user nobody"), std::string::npos) << unknown.err;
}

TEST_F(CliTest, UserRoles) {
  ASSERT_EQ(AddUser("jane", {"coder"}).exit_code, 0);
  const Outcome roles = RunOk(
      {"user", "roles", "--username", "jane", "--role", "roi_specialist", "--role", "auditor"});
  EXPECT_NE(roles.out.find("jane: auditor,roi_specialist"), std::string::npos) << roles.out;
  EXPECT_EQ(ListLine("jane"), "jane\tactive\tauditor,roi_specialist\tno\t-");
  EXPECT_EQ(CountEvents("action = 'user.update'"), 1);

  const Outcome bad = Run({"user", "roles", "--username", "jane", "--role", "wizard"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("wizard"), std::string::npos) << bad.err;
  EXPECT_EQ(ListLine("jane"), "jane\tactive\tauditor,roi_specialist\tno\t-");
}

TEST_F(CliTest, UserPasswd) {
  ASSERT_EQ(AddUser("jane", {"coder"}).exit_code, 0);
  const std::string fresh = "a brand new pass phrase";
  const Outcome passwd = RunOk({"user", "passwd", "--username", "jane", "--password", fresh});
  EXPECT_NE(passwd.out.find("password set for jane"), std::string::npos) << passwd.out;
  EXPECT_EQ(LoginStatus("jane", kPassword).reason(), "invalid_credentials");
  EXPECT_OK(LoginStatus("jane", fresh));
  EXPECT_EQ(CountEvents("action = 'user.reset_password'"), 1);

  const Outcome weak = Run({"user", "passwd", "--username", "jane", "--password", "short"});
  EXPECT_EQ(weak.exit_code, 2);
  EXPECT_NE(weak.err.find("12 characters"), std::string::npos) << weak.err;
  EXPECT_OK(LoginStatus("jane", fresh));

  // From standard input.
  const std::string piped = "yet another pass phrase";
  const Outcome stdin_passwd =
      Run({"user", "passwd", "--username", "jane", "--data-dir", DataDir()}, false, piped + "\n");
  EXPECT_EQ(stdin_passwd.exit_code, 0) << stdin_passwd.err;
  EXPECT_OK(LoginStatus("jane", piped));
}

TEST_F(CliTest, AuditPubkeyPrintsTheSigningKey) {
  RunOk({"init"});
  const Outcome pubkey = RunOk({"audit", "pubkey"});
  ASSERT_EQ(pubkey.out.size(), 65u) << pubkey.out;
  EXPECT_EQ(pubkey.out.back(), '\n');
  for (char c : pubkey.out.substr(0, 64))
    EXPECT_TRUE(std::isxdigit(static_cast<unsigned char>(c))) << pubkey.out;
  auto signer = audit::CheckpointSigner::LoadOrCreate(DataDir() + "/audit-signing.key");
  ASSERT_OK(signer);
  EXPECT_EQ(pubkey.out.substr(0, 64), (*signer)->public_key_hex());
  EXPECT_EQ(RunOk({"audit", "pubkey"}).out, pubkey.out);  // stable
}

TEST_F(CliTest, AuditVerifySaysIntact) {
  RunOk({"init", "--demo"});
  ASSERT_EQ(AddUser("jane", {"coder"}).exit_code, 0);
  const Outcome verify = RunOk({"audit", "verify"});
  EXPECT_NE(verify.out.find("audit trail intact"), std::string::npos) << verify.out;
  EXPECT_NE(verify.out.find(std::to_string(CountEvents()) + " events"), std::string::npos)
      << verify.out;
}

TEST_F(CliTest, AuditVerifyNamesTheTamperedSequence) {
  RunOk({"init", "--demo"});
  ASSERT_GE(CountEvents(), 8);
  Tamper("UPDATE audit_events SET actor_name = 'someone-else' WHERE seq = 5");
  const Outcome verify = Run({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 1) << verify.all();
  EXPECT_NE(verify.all().find("BROKEN at sequence 5"), std::string::npos) << verify.all();
}

TEST_F(CliTest, AuditVerifyNamesADeletedEvent) {
  RunOk({"init", "--demo"});
  Tamper("DELETE FROM audit_events WHERE seq = 3");
  const Outcome verify = Run({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 1) << verify.all();
  EXPECT_NE(verify.all().find("sequence 3"), std::string::npos) << verify.all();
}

TEST_F(CliTest, AuditVerifyCatchesATruncatedTail) {
  RunOk({"init", "--demo"});
  const std::int64_t events = CountEvents();
  ASSERT_GE(events, 4);
  Tamper(
      "DROP TRIGGER audit_checkpoints_no_delete; DELETE FROM audit_events WHERE seq > 2; "
      "DELETE FROM audit_checkpoints;");
  const Outcome verify = Run({"audit", "verify"});
  EXPECT_EQ(verify.exit_code, 1) << verify.all();
  EXPECT_NE(verify.all().find("sequence 3"), std::string::npos) << verify.all();
}

TEST_F(CliTest, AuditVerifyWithAnotherPublicKeyFails) {
  RunOk({"init", "--demo"});
  TempDir other;
  auto signer = audit::CheckpointSigner::LoadOrCreate(other.File("k"));
  ASSERT_OK(signer);
  const Outcome verify = Run({"audit", "verify", "--public-key", (*signer)->public_key_hex()});
  EXPECT_EQ(verify.exit_code, 1) << verify.all();
  EXPECT_NE(verify.all().find("signature"), std::string::npos) << verify.all();
  const std::string own = RunOk({"audit", "pubkey"}).out.substr(0, 64);
  EXPECT_EQ(Run({"audit", "verify", "--public-key", own}).exit_code, 0);
}

TEST_F(CliTest, AuditExportWritesOneCsvLinePerEvent) {
  RunOk({"init", "--demo"});
  ASSERT_EQ(AddUser("jane", {"coder"}).exit_code, 0);
  const std::int64_t events = CountEvents();
  ASSERT_GT(events, 0);
  const std::string csv_path = dir_.File("f.csv");
  RunOk({"audit", "export", "--out", csv_path});
  const std::string csv = ReadFile(csv_path);
  std::vector<std::string> lines;
  std::istringstream stream(csv);
  for (std::string line; std::getline(stream, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), static_cast<size_t>(events) + 1) << csv;
  EXPECT_TRUE(lines[0].starts_with("sequence,time,actor,actor_name,role,action")) << lines[0];
  // Newest first; every sequence once.
  EXPECT_TRUE(lines[1].starts_with("\"" + std::to_string(events) + "\",")) << lines[1];
  EXPECT_TRUE(lines.back().starts_with("\"1\",")) << lines.back();
  EXPECT_NE(csv.find("\"user.create\""), std::string::npos);
  // The export itself is audited.
  EXPECT_EQ(CountEvents(), events + 1);
  EXPECT_EQ(CountEvents("action = 'audit.export'"), 1);

  // A filtered export.
  const std::string filtered_path = dir_.File("created.csv");
  RunOk({"audit", "export", "--out", filtered_path, "--action", "user.create"});
  const std::string filtered = ReadFile(filtered_path);
  const std::int64_t creates = CountEvents("action = 'user.create'");
  EXPECT_EQ(std::count(filtered.begin(), filtered.end(), '\n'), creates + 1) << filtered;

  const Outcome bad_date = Run({"audit", "export", "--from", "yesterday"});
  EXPECT_EQ(bad_date.exit_code, 2);
  EXPECT_NE(bad_date.err.find("yesterday"), std::string::npos) << bad_date.err;
}

TEST_F(CliTest, AuditExportToStandardOutput) {
  RunOk({"init", "--demo"});
  const std::int64_t events = CountEvents();
  const Outcome exported = RunOk({"audit", "export"});
  EXPECT_TRUE(exported.out.starts_with("sequence,")) << exported.out.substr(0, 100);
  EXPECT_EQ(std::count(exported.out.begin(), exported.out.end(), '\n'), events + 1);
}

// `custos mpi dedupe` without --records matches the registry's Patients and puts what it finds
// in the duplicate work queue, once; --dry-run only reports.
TEST_F(CliTest, MpiDedupeOfTheRegistryFillsTheDuplicateQueueOnce) {
  RunOk({"init"});
  const std::string patients = dir_.File("patients.ndjson");
  {
    std::ofstream out(patients);
    auto patient = [&](const std::string& id, const std::string& given, const std::string& family,
                       const std::string& birth_date, const std::string& ssn) {
      out << R"({"resourceType":"Patient","id":")" << id << R"(","name":[{"family":")" << family
          << R"(","given":[")" << given << R"("]}],"gender":"female","birthDate":")" << birth_date
          << R"(","identifier":[{"system":"http://hl7.org/fhir/sid/us-ssn","value":")" << ssn
          << R"("}],"address":[{"line":["12 Elm Street"],"city":"Springfield","postalCode":"01101"}]})"
          << "\n";
    };
    patient("p1", "Margaret", "Okafor", "1961-04-09", "219-45-6781");
    patient("p2", "Maggie", "Okafor", "1961-04-09", "219-45-6781");  // the same woman again
    patient("p3", "Dorothy", "Lindqvist", "1990-11-23", "318-27-4410");
  }
  RunOk({"import", "fhir", patients});

  const Outcome dry = RunOk({"mpi", "dedupe", "--dry-run", "--out", dir_.File("dry.csv")});
  EXPECT_EQ(dry.err.find("queued="), std::string::npos) << dry.err;
  const std::string pairs = ReadFile(dir_.File("dry.csv"));
  EXPECT_NE(pairs.find("p1,p2,"), std::string::npos) << pairs;
  EXPECT_EQ(pairs.find("p3"), std::string::npos) << pairs;

  const Outcome first = RunOk({"mpi", "dedupe"});
  EXPECT_NE(first.err.find("records=3 "), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("queued=1 "), std::string::npos) << first.err;
  // A second run finds the same pair and leaves the queue as it is.
  const Outcome second = RunOk({"mpi", "dedupe"});
  EXPECT_NE(second.err.find("queued=0 "), std::string::npos) << second.err;

  // The queue holds the pair, proposed by the batch run, and the run is on the audit trail.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((DataDir() + "/custos.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  auto count = [&](const char* sql) {
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr), SQLITE_OK) << sql;
    int value = -1;
    if (sqlite3_step(statement) == SQLITE_ROW) value = sqlite3_column_int(statement, 0);
    sqlite3_finalize(statement);
    return value;
  };
  EXPECT_EQ(count("SELECT COUNT(*) FROM mpi_pairs WHERE patient_a = 'p1' AND patient_b = 'p2' "
                  "AND status = 'open' AND source = 'batch'"),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM mpi_pairs"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM audit_events WHERE action = 'mpi.batch.propose'"), 2);
  sqlite3_close(db);

  // A file needs somewhere to write its pairs.
  const Outcome no_out = Run({"mpi", "dedupe", "--records", patients});
  EXPECT_EQ(no_out.exit_code, 2) << no_out.err;
  EXPECT_NE(no_out.err.find("--out"), std::string::npos) << no_out.err;
}

TEST_F(CliTest, MigrateReportsTheSchemaVersion) {
  const Outcome migrate = RunOk({"migrate"});
  EXPECT_NE(migrate.out.find("schema version"), std::string::npos) << migrate.out;
  EXPECT_EQ(RunOk({"migrate"}).out, migrate.out);  // idempotent
}

TEST_F(CliTest, WorksOnPostgres) {
  const PostgresSchema schema = CreatePostgresSchema();
  if (schema.url.empty())
    GTEST_SKIP() << "no PostgreSQL (set CUSTOS_TEST_POSTGRES_URL, or run tests/with_postgres.sh)";
  struct Drop {
    const PostgresSchema& schema;
    ~Drop() { DropPostgresSchema(schema); }
  } drop{schema};

  const Outcome init = RunOk({"init", "--demo", "--database", schema.url});
  EXPECT_NE(init.out.find("database: postgres"), std::string::npos) << init.out;
  EXPECT_FALSE(std::filesystem::exists(DataDir() + "/custos.db"));

  const Outcome add = Run({"user", "add", "--username", "pgjane", "--password",
                           std::string(kPassword), "--role", "coder", "--database", schema.url});
  EXPECT_EQ(add.exit_code, 0) << add.err;
  const Outcome list = RunOk({"user", "list", "--database", schema.url});
  EXPECT_NE(list.out.find("pgjane\tactive\tcoder"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("auditor\tactive\tauditor"), std::string::npos) << list.out;
  // The SQLite default was not touched.
  EXPECT_FALSE(std::filesystem::exists(DataDir() + "/custos.db"));

  RunOk({"user", "disable", "--username", "pgjane", "--database", schema.url});
  EXPECT_NE(RunOk({"user", "list", "--database", schema.url}).out.find("pgjane\tdisabled"),
            std::string::npos);

  const Outcome verify = RunOk({"audit", "verify", "--database", schema.url});
  EXPECT_NE(verify.out.find("audit trail intact"), std::string::npos) << verify.out;
  const Outcome exported = RunOk({"audit", "export", "--database", schema.url});
  EXPECT_NE(exported.out.find("\"user.disable\""), std::string::npos);
}

}  // namespace
}  // namespace custos::testing
