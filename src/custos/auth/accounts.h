// Accounts: the people who use Custos — logging in and out, and the administration of users.
//
// Login (HIPAA 164.312(d) person authentication; HIM_RULES.md SEC-06): Argon2id passwords; five
// failures in a row lock the account for `lockout` (an administrator can unlock sooner);
// a TOTP second factor when the user has enrolled one, required for admins where policy says
// so. Every login, failure, lockout and administrative change is written to the audit trail in
// the same transaction as the change. A wrong username and a wrong password get the same answer;
// only a locked account says that it is locked (so that its owner knows to call for help).
// Thread-safe; share one instance.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "custos/audit/audit_sink.h"
#include "custos/auth/passwords.h"
#include "custos/auth/permissions.h"
#include "custos/auth/sessions.h"
#include "custos/auth/user.h"
#include "custos/core/clock.h"
#include "custos/core/request_context.h"
#include "custos/storage/database.h"

namespace custos::auth {

struct AccountPolicy {
  int max_failed_logins = 5;
  std::chrono::seconds lockout{30 * 60};
  PasswordHashCost hash_cost;
  std::chrono::seconds challenge_lifetime{5 * 60};
};

struct NewUser {
  std::string username;
  std::string display_name;
  std::string password;
  std::vector<std::string> roles;  // role names
  bool must_change_password = false;
};

struct UserChanges {
  std::optional<std::string> display_name;
  std::optional<std::vector<std::string>> roles;
};

struct UserPage {
  std::vector<User> users;
  std::optional<std::string> next_cursor;
};

struct LoginRequest {
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<std::string> code;       // TOTP code
  std::optional<std::string> challenge;  // from a first step that answered totp_required
};

struct LoginResult {
  // Either a session…
  std::optional<std::string> token;
  std::optional<User> user;
  // …or the second step is needed.
  std::optional<std::string> totp_challenge;
};

struct TotpEnrollment {
  std::string secret;
  std::string otpauth_uri;
  std::string qr_svg;
};

struct AccountCounts {
  std::int64_t users_active = 0;
  std::int64_t users_disabled = 0;
  std::int64_t users_locked = 0;
  std::int64_t sessions_active = 0;
  std::int64_t failed_logins_24h = 0;
};

class Accounts {
 public:
  Accounts(storage::Database& database, audit::AuditSink& audit, SessionStore& sessions,
           const Clock& clock, AccountPolicy policy);
  Accounts(const Accounts&) = delete;
  Accounts& operator=(const Accounts&) = delete;

  // `context` carries the source address and request id (no actor yet).
  // kUnauthenticated reason "invalid_credentials" (wrong username, password or code),
  // "totp_required" is never an error: it comes back as LoginResult::totp_challenge.
  // kPermissionDenied reason "account_locked" or "account_disabled".
  // kInvalidArgument when fields are missing.
  Result<LoginResult> Login(const LoginRequest& request, const RequestContext& context);
  // Ends the caller's session.
  Status Logout(const RequestContext& context);
  // The caller.
  Result<User> Me(const RequestContext& context);
  // The caller changes their own password (sessions other than the current one end).
  Status ChangeOwnPassword(const RequestContext& context, const std::string& current_password,
                           const std::string& new_password);
  // Starts enrolment: a new secret, not active until ConfirmTotp proves the app has it.
  Result<TotpEnrollment> BeginTotpEnrollment(const RequestContext& context);
  // kInvalidArgument (field "code") when the code does not match.
  Status ConfirmTotp(const RequestContext& context, const std::string& code);

  // Administration; each needs users.manage. kNotFound for an unknown id; kConflict (field
  // "username") for a taken username; kInvalidArgument naming the field for bad input.
  Result<User> CreateUser(const RequestContext& context, const NewUser& user);
  Result<User> GetUser(const RequestContext& context, const std::string& id);
  Result<UserPage> ListUsers(const RequestContext& context, const std::string& query, int limit,
                             const std::string& cursor);
  Result<User> UpdateUser(const RequestContext& context, const std::string& id,
                          const UserChanges& changes);
  Result<User> DisableUser(const RequestContext& context, const std::string& id);
  Result<User> EnableUser(const RequestContext& context, const std::string& id);
  Result<User> UnlockUser(const RequestContext& context, const std::string& id);
  Result<User> ResetPassword(const RequestContext& context, const std::string& id,
                             const std::string& new_password);
  Result<User> ResetTotp(const RequestContext& context, const std::string& id);

  // Counts for the dashboard (users.manage sees all; others see users_active and sessions_active).
  Result<AccountCounts> Counts(const RequestContext& context);

  // True when no user exists yet (first start).
  Result<bool> IsEmpty();

 private:
  struct StoredUser;
  Result<std::optional<StoredUser>> FindByUsername(storage::Transaction& tx,
                                                   const std::string& username);
  Result<User> LoadUser(storage::Transaction& tx, const std::string& id);
  Result<LoginResult> CompleteLogin(storage::Transaction& tx, const StoredUser& user,
                                    const RequestContext& context,
                                    std::optional<std::int64_t> totp_step);
  Status RecordFailure(const StoredUser* user, const std::string& attempted,
                       std::string_view reason, const RequestContext& context);
  // Runs one administrative change in a transaction: check, change, audit, commit.
  Result<User> AdminChange(
      const RequestContext& context, const std::string& id, std::string_view action,
      const std::function<Status(storage::Transaction&, const User&, Json&)>& change);

  storage::Database& database_;
  audit::AuditSink& audit_;
  SessionStore& sessions_;
  const Clock& clock_;
  AccountPolicy policy_;
};

// Lower-cases and checks a username: 3–64 characters of a-z, 0-9, '.', '_', '-'.
Result<std::string> NormalizeUsername(std::string_view username);

}  // namespace custos::auth
