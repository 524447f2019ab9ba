#include "custos/server/runtime.h"

#include <sys/stat.h>

#include <filesystem>

#include "custos/storage/migrations.h"
#include "custos/storage/open_database.h"

namespace custos::server {

Result<std::unique_ptr<Runtime>> Runtime::Open(const Config& config, const Clock* clock) {
  auto runtime = std::unique_ptr<Runtime>(new Runtime(config));
  runtime->clock_override_ = clock;
  std::error_code error;
  if (!std::filesystem::exists(config.data_dir)) {
    std::filesystem::create_directories(config.data_dir, error);
    if (error)
      return Status::Unavailable("cannot create data folder " + config.data_dir + ": " +
                                 error.message());
    ::chmod(config.data_dir.c_str(), 0700);
  }
  CUSTOS_ASSIGN_OR_RETURN(runtime->database_,
                          storage::OpenDatabase({config.DatabaseUrl(), config.database_pool_size}));
  CUSTOS_RETURN_IF_ERROR(storage::Migrate(*runtime->database_).status());
  CUSTOS_ASSIGN_OR_RETURN(
      std::unique_ptr<audit::CheckpointSigner> signer,
      audit::CheckpointSigner::LoadOrCreate(
          (std::filesystem::path(config.data_dir) / "audit-signing.key").string()));
  runtime->signer_ = std::move(signer);
  runtime->audit_trail_ = std::make_unique<audit::AuditTrail>(
      runtime->clock(), runtime->signer_,
      audit::AuditTrailOptions{config.audit_checkpoint_every_events, runtime->anchor_file()});

  auth::SessionPolicy session_policy;
  session_policy.idle_timeout = std::chrono::seconds(config.auth_idle_timeout_seconds);
  session_policy.lifetime = std::chrono::seconds(config.auth_session_lifetime_seconds);
  session_policy.require_admin_totp = config.auth_require_admin_totp && !config.demo;
  runtime->sessions_ =
      std::make_unique<auth::SessionStore>(*runtime->database_, runtime->clock(), session_policy);

  auth::AccountPolicy account_policy;
  account_policy.max_failed_logins = config.auth_max_failed_logins;
  account_policy.lockout = std::chrono::seconds(config.auth_lockout_seconds);
  account_policy.hash_cost = {config.auth_argon2_ops_limit, config.auth_argon2_mem_limit_bytes};
  runtime->accounts_ =
      std::make_unique<auth::Accounts>(*runtime->database_, *runtime->audit_trail_,
                                       *runtime->sessions_, runtime->clock(), account_policy);
  runtime->audit_review_ = std::make_unique<auth::AuditReview>(
      *runtime->database_, *runtime->audit_trail_, runtime->clock(), runtime->verify_options());
  runtime->resources_ = std::make_unique<clinical::ResourceStore>(
      *runtime->database_, *runtime->audit_trail_, runtime->clock(), clinical::Definitions::R4());
  // A migration that changed the search index's tables asks for it to be refilled.
  CUSTOS_RETURN_IF_ERROR(
      runtime->resources_->RebuildSearchIndexIfAsked(RequestContext::System("custos", "startup"))
          .status());
  runtime->search_ = std::make_unique<clinical::Search>(*runtime->database_, *runtime->audit_trail_,
                                                        clinical::Definitions::R4());
  runtime->bundles_ = std::make_unique<clinical::BundleProcessor>(
      *runtime->database_, *runtime->resources_, *runtime->search_);
  runtime->registry_ = std::make_unique<patients::Registry>(
      *runtime->database_, *runtime->audit_trail_, runtime->clock(), *runtime->resources_,
      patients::DefaultModel());
  runtime->duplicate_queue_ = std::make_unique<patients::DuplicateQueue>(
      *runtime->database_, *runtime->audit_trail_, runtime->clock(), *runtime->registry_);
  runtime->merger_ = std::make_unique<patients::Merger>(*runtime->database_, *runtime->audit_trail_,
                                                        runtime->clock(), *runtime->resources_,
                                                        *runtime->registry_);
  return runtime;
}

std::string Runtime::anchor_file() const {
  return (std::filesystem::path(config_.data_dir) / "audit-anchors.jsonl").string();
}

audit::VerifyOptions Runtime::verify_options() const {
  audit::VerifyOptions options;
  if (signer_) options.trusted_public_keys.push_back(signer_->public_key_hex());
  options.anchor_file = anchor_file();
  return options;
}

const std::vector<DemoUser>& DemoUsers() {
  static const std::vector<DemoUser> users = {
      {"admin", "Ada Admin", "admin"},
      {"registrar", "Rita Registrar", "registrar"},
      {"analyst", "Hal Analyst", "him_analyst"},
      {"coder", "Cody Coder", "coder"},
      {"roi", "Rory Release", "roi_specialist"},
      {"clinician", "Dr. Clara Clinician", "clinician"},
      {"privacy", "Priya Privacy", "privacy_officer"},
      {"auditor", "Audrey Auditor", "auditor"},
  };
  return users;
}

Result<int> SeedDemoUsers(Runtime& runtime, const RequestContext& context) {
  int created = 0;
  for (const auto& demo : DemoUsers()) {
    auth::NewUser user;
    user.username = demo.username;
    user.display_name = demo.display_name;
    user.password = kDemoPassword;
    user.roles = {std::string(demo.role)};
    auto result = runtime.accounts().CreateUser(context, user);
    if (result.ok()) {
      ++created;
    } else if (result.status().code() != StatusCode::kConflict) {
      return result.status();
    }
  }
  return created;
}

Result<int> SeedDemoDuplicates(Runtime& runtime, const RequestContext& context) {
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, runtime.database().Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_ASSIGN_OR_RETURN(std::int64_t registered,
                            tx->QueryInt("SELECT COUNT(*) FROM mpi_registrations"));
    if (registered > 0) return 0;
  }
  CUSTOS_ASSIGN_OR_RETURN(
      auto found, runtime.search().Run(context, "Patient", {{"_count", "3"}, {"_sort", "_id"}}));
  int created = 0;
  for (size_t i = 0; i < found.matches.size(); ++i) {
    auto patient = ParseJsonObject(found.matches[i].json);
    if (!patient.ok()) continue;
    const patients::PersonRecord person =
        patients::PersonFromPatient(found.matches[i].id, *patient);
    if (person.given_name.empty() || person.surname.empty() || person.date_of_birth.size() != 8) {
      continue;
    }
    patients::Registration registration;
    registration.name.given = person.given_name;
    registration.name.family = person.surname;
    registration.sex = person.sex.empty() ? "unknown" : person.sex;
    std::string date = person.date_of_birth;
    switch (i % 3) {
      case 0:  // the given name shortened, as people give it at the desk
        registration.name.given =
            person.given_name.substr(0, std::min<size_t>(4, person.given_name.size()));
        break;
      case 1:  // a typo in the surname: two letters swapped
        if (registration.name.family.size() > 3) {
          std::swap(registration.name.family[1], registration.name.family[2]);
        }
        break;
      default:  // day and month swapped, when that is still a date
        if (std::stoi(date.substr(6, 2)) <= 12)
          date = date.substr(0, 4) + date.substr(6, 2) + date.substr(4, 2);
        break;
    }
    registration.birth_date = date.substr(0, 4) + "-" + date.substr(4, 2) + "-" + date.substr(6, 2);
    if (!person.street_number.empty() || !person.address_1.empty()) {
      std::string line = person.street_number;
      if (!person.address_1.empty()) line += (line.empty() ? "" : " ") + person.address_1;
      registration.address.lines.push_back(line);
    }
    registration.address.city = person.suburb;
    registration.address.state = person.state.size() == 2 ? person.state : "";
    if (person.postcode.size() == 5) registration.address.postal_code = person.postcode;
    registration.confirm_new_person = true;
    auto result = runtime.registry().Register(context, registration);
    if (!result.ok()) return result.status();
    if (result->patient) ++created;
  }
  return created;
}

}  // namespace custos::server
