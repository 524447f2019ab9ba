// Runtime: the composition root. Builds every service from a Config — storage (migrated), the
// audit trail with its signing key, sessions, accounts — so that `custos serve` and the
// administrator's subcommands run on exactly the same wiring.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "custos/audit/audit_trail.h"
#include "custos/audit/checkpoint_signer.h"
#include "custos/auth/accounts.h"
#include "custos/auth/audit_review.h"
#include "custos/auth/sessions.h"
#include "custos/clinical/bundles.h"
#include "custos/clinical/resource_store.h"
#include "custos/clinical/search.h"
#include "custos/core/clock.h"
#include "custos/core/config.h"
#include "custos/http/router.h"
#include "custos/patients/duplicate_queue.h"
#include "custos/patients/merge.h"
#include "custos/patients/registry.h"
#include "custos/storage/database.h"

namespace custos::server {

inline constexpr std::string_view kVersion = "0.1.0";

class Runtime {
 public:
  // Creates the data folder if needed (mode 0700), opens and migrates the database, loads or
  // creates the audit signing key, and builds the services.
  // `clock` overrides the system clock (tests); it must outlive the Runtime.
  static Result<std::unique_ptr<Runtime>> Open(const Config& config, const Clock* clock = nullptr);

  const Config& config() const { return config_; }
  const Clock& clock() const { return clock_override_ ? *clock_override_ : system_clock_; }
  storage::Database& database() { return *database_; }
  audit::AuditTrail& audit_trail() { return *audit_trail_; }
  const audit::CheckpointSigner& signer() const { return *signer_; }
  auth::SessionStore& sessions() { return *sessions_; }
  auth::Accounts& accounts() { return *accounts_; }
  auth::AuditReview& audit_review() { return *audit_review_; }
  clinical::ResourceStore& resources() { return *resources_; }
  clinical::Search& search() { return *search_; }
  clinical::BundleProcessor& bundles() { return *bundles_; }
  // The master patient index. The registry loads the Patients into memory on first use.
  patients::Registry& registry() { return *registry_; }
  patients::DuplicateQueue& duplicate_queue() { return *duplicate_queue_; }
  patients::Merger& merger() { return *merger_; }
  audit::VerifyOptions verify_options() const;
  std::string anchor_file() const;

 private:
  explicit Runtime(Config config) : config_(std::move(config)) {}
  Config config_;
  SystemClock system_clock_;
  const Clock* clock_override_ = nullptr;
  std::unique_ptr<storage::Database> database_;
  std::shared_ptr<audit::CheckpointSigner> signer_;
  std::unique_ptr<audit::AuditTrail> audit_trail_;
  std::unique_ptr<auth::SessionStore> sessions_;
  std::unique_ptr<auth::Accounts> accounts_;
  std::unique_ptr<auth::AuditReview> audit_review_;
  std::unique_ptr<clinical::ResourceStore> resources_;
  std::unique_ptr<clinical::Search> search_;
  std::unique_ptr<clinical::BundleProcessor> bundles_;
  std::unique_ptr<patients::Registry> registry_;
  std::unique_ptr<patients::DuplicateQueue> duplicate_queue_;
  std::unique_ptr<patients::Merger> merger_;
};

// The demo logins `custos init --demo` creates (all with kDemoPassword).
struct DemoUser {
  std::string_view username;
  std::string_view display_name;
  std::string_view role;
};
inline constexpr std::string_view kDemoPassword = "custos-demo-pass";
const std::vector<DemoUser>& DemoUsers();
// Creates the demo users that do not exist yet; returns how many it created.
Result<int> SeedDemoUsers(Runtime& runtime, const RequestContext& context);

// Registers look-alikes of a few demo patients (a nickname, a typo, a transposed birth date) the
// way a hurried registrar would — creating anyway — so that the duplicate queue has work in it.
// Does nothing when registrations exist already. Returns how many it registered.
Result<int> SeedDemoDuplicates(Runtime& runtime, const RequestContext& context);

// Server: the HTTP service on a Runtime — routes, static files, metrics, the listener — and the
// timer that signs audit checkpoints while it runs (and once more at shutdown).
class Server {
 public:
  explicit Server(Runtime& runtime);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the web app and binds the port. kUnavailable when the port cannot be bound.
  Status Listen();
  int port() const;
  // Serves until Stop() or SIGINT/SIGTERM, then writes a final audit checkpoint.
  Status Run();
  // Graceful stop; callable from any thread.
  void Stop();
  const http::Router& router() const;

 private:
  struct Parts;
  Runtime& runtime_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace custos::server
