#include "custos/auth/accounts.h"

#include <algorithm>

#include "custos/auth/totp.h"
#include "custos/core/crypto.h"
#include "custos/core/ids.h"

namespace custos::auth {

namespace {

constexpr int kMaxPageSize = 500;
constexpr size_t kMaxDisplayName = 200;

std::string JoinRoles(const std::vector<Role>& roles) {
  std::string joined;
  for (Role role : roles) {
    if (!joined.empty()) joined += ',';
    joined += RoleName(role);
  }
  return joined;
}

Json RoleNames(const std::vector<Role>& roles) {
  Json names = Json::array();
  for (Role role : roles) names.push_back(RoleName(role));
  return names;
}

Result<std::vector<Role>> ParseRoles(const std::vector<std::string>& names) {
  std::vector<Role> roles;
  for (const auto& name : names) {
    const auto role = ParseRole(name);
    if (!role) return Status::InvalidArgument("unknown role " + name, "roles");
    if (std::find(roles.begin(), roles.end(), *role) == roles.end()) roles.push_back(*role);
  }
  if (roles.empty()) return Status::InvalidArgument("a user needs at least one role", "roles");
  return roles;
}

Status CheckDisplayName(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("display name is required", "display_name");
  if (name.size() > kMaxDisplayName)
    return Status::InvalidArgument("display name is too long", "display_name");
  return Status::Ok();
}

Status WriteRoles(storage::Transaction& tx, const std::string& user_id,
                  const std::vector<Role>& roles) {
  CUSTOS_RETURN_IF_ERROR(
      tx.Execute("DELETE FROM user_roles WHERE user_id = $1", {user_id}).status());
  for (Role role : roles) {
    CUSTOS_RETURN_IF_ERROR(tx.Execute("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)",
                                      {user_id, RoleName(role)})
                               .status());
  }
  return Status::Ok();
}

Status InvalidCredentials() {
  return Status::Unauthenticated("wrong username, password or code")
      .WithReason("invalid_credentials");
}

}  // namespace

Result<std::string> NormalizeUsername(std::string_view username) {
  std::string out;
  for (char c : username) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (out.size() < 3 || out.size() > 64) {
    return Status::InvalidArgument("username must be 3 to 64 characters", "username");
  }
  for (char c : out) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      return Status::InvalidArgument("username may hold only letters, digits, '.', '_' and '-'",
                                     "username");
    }
  }
  return out;
}

struct Accounts::StoredUser {
  std::string id;
  std::string username;
  std::string display_name;
  std::string password_hash;
  bool disabled = false;
  std::optional<Timestamp> locked_until;
  std::optional<std::string> totp_secret;
  bool totp_enabled = false;
  std::int64_t totp_last_step = 0;
  std::vector<Role> roles;
};

Accounts::Accounts(storage::Database& database, audit::AuditSink& audit, SessionStore& sessions,
                   const Clock& clock, AccountPolicy policy)
    : database_(database), audit_(audit), sessions_(sessions), clock_(clock), policy_(policy) {}

Result<std::optional<Accounts::StoredUser>> Accounts::FindByUsername(storage::Transaction& tx,
                                                                     const std::string& username) {
  CUSTOS_ASSIGN_OR_RETURN(
      auto row,
      tx.QueryOne("SELECT id, username, display_name, password_hash, disabled, locked_until, "
                  "totp_secret, totp_enabled, totp_last_step FROM users WHERE username = $1",
                  {username}));
  if (!row) return std::optional<StoredUser>();
  StoredUser user;
  user.id = row->String(0);
  user.username = row->String(1);
  user.display_name = row->String(2);
  user.password_hash = row->String(3);
  user.disabled = row->Bool(4);
  if (!row->IsNull(5)) user.locked_until = ParseTimestamp(row->Text(5));
  user.totp_secret = row->OptionalString(6);
  user.totp_enabled = row->Bool(7);
  user.totp_last_step = row->Int(8);
  CUSTOS_ASSIGN_OR_RETURN(user.roles, LoadRoles(tx, user.id));
  return std::optional<StoredUser>(std::move(user));
}

Result<User> Accounts::LoadUser(storage::Transaction& tx, const std::string& id) {
  return ReadUser(tx, id, clock_.Now());
}

Status Accounts::RecordFailure(const StoredUser* user, const std::string& attempted,
                               std::string_view reason, const RequestContext& context) {
  const Timestamp now = clock_.Now();
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  RequestContext actor = context;
  actor.actor_id = user ? user->id : "unknown";
  actor.actor_username = attempted.substr(0, 64);
  actor.roles = user ? JoinRoles(user->roles) : "";
  if (user && reason != "locked") {
    std::int64_t failures = 0;
    CUSTOS_RETURN_IF_ERROR(tx->Query(
        "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
        {user->id}, [&](const storage::Row& row) {
          failures = row.Int(0);
          return true;
        }));
    if (failures >= policy_.max_failed_logins) {
      CUSTOS_RETURN_IF_ERROR(
          tx->Execute("UPDATE users SET locked_until = $1, failed_logins = 0 WHERE id = $2",
                      {FormatTimestamp(now + policy_.lockout), user->id})
              .status());
      CUSTOS_RETURN_IF_ERROR(audit_.Record(
          *tx, audit::AuditEvent::For(actor, "auth.locked", "user", user->id)
                   .WithDetails({{"failed_logins", failures},
                                 {"locked_until", FormatTimestamp(now + policy_.lockout)}})));
    }
  }
  CUSTOS_RETURN_IF_ERROR(audit_.Record(
      *tx, audit::AuditEvent::For(actor, "auth.login_failed", "user", user ? user->id : "")
               .WithOutcome(audit::kFailure)
               .WithDetails({{"reason", reason}})));
  return tx->Commit();
}

Result<LoginResult> Accounts::CompleteLogin(storage::Transaction& tx, const StoredUser& user,
                                            const RequestContext& context,
                                            std::optional<std::int64_t> totp_step) {
  const std::string now = FormatTimestamp(clock_.Now());
  if (totp_step) {
    // Only a step later than the last one used: a code works once.
    CUSTOS_ASSIGN_OR_RETURN(
        const std::int64_t changed,
        tx.Execute("UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
                   {*totp_step, user.id}));
    if (changed == 0) return InvalidCredentials();
  }
  CUSTOS_RETURN_IF_ERROR(
      tx.Execute("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $1 "
                 "WHERE id = $2",
                 {now, user.id})
          .status());
  CUSTOS_ASSIGN_OR_RETURN(std::string token, sessions_.Create(tx, user.id, context.source_address));
  RequestContext actor = context;
  actor.actor_id = user.id;
  actor.actor_username = user.username;
  actor.roles = JoinRoles(user.roles);
  CUSTOS_RETURN_IF_ERROR(
      audit_.Record(tx, audit::AuditEvent::For(actor, "auth.login", "session",
                                               SessionStore::HashToken(token).substr(0, 16))
                            .WithDetails({{"second_factor", totp_step.has_value()}})));
  CUSTOS_ASSIGN_OR_RETURN(User loaded, LoadUser(tx, user.id));
  CUSTOS_RETURN_IF_ERROR(tx.Commit());
  LoginResult result;
  result.token = std::move(token);
  result.user = std::move(loaded);
  return result;
}

Result<LoginResult> Accounts::Login(const LoginRequest& request, const RequestContext& context) {
  const Timestamp now = clock_.Now();
  std::optional<StoredUser> user;
  std::string attempted;

  if (request.challenge) {
    if (!request.code || request.code->empty()) {
      return Status::InvalidArgument("enter the 6-digit code from your authenticator app", "code");
    }
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_ASSIGN_OR_RETURN(auto row,
                            tx->QueryOne("SELECT c.user_id, c.expires_at, u.username FROM "
                                         "login_challenges c JOIN users u ON u.id = c.user_id "
                                         "WHERE c.challenge_hash = $1",
                                         {SessionStore::HashToken(*request.challenge)}));
    if (!row || row->Text(1) <= FormatTimestamp(now)) {
      return Status::Unauthenticated("this login step has expired; please start again")
          .WithReason("invalid_credentials");
    }
    attempted = row->String(2);
    CUSTOS_ASSIGN_OR_RETURN(user, FindByUsername(*tx, attempted));
    if (!user) return InvalidCredentials();
  } else {
    if (!request.username || request.username->empty()) {
      return Status::InvalidArgument("username is required", "username");
    }
    if (!request.password || request.password->empty()) {
      return Status::InvalidArgument("password is required", "password");
    }
    attempted = *request.username;
    auto normalized = NormalizeUsername(attempted);
    if (normalized.ok()) {
      attempted = *normalized;
      CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
      CUSTOS_ASSIGN_OR_RETURN(user, FindByUsername(*tx, attempted));
    }
    if (!user) {
      VerifyDummyPassword(*request.password);
      CUSTOS_RETURN_IF_ERROR(RecordFailure(nullptr, attempted, "unknown_user", context));
      return InvalidCredentials();
    }
    if (user->locked_until && *user->locked_until > now) {
      CUSTOS_RETURN_IF_ERROR(RecordFailure(&*user, attempted, "locked", context));
      return Status::PermissionDenied(
                 "this account is locked after too many failed logins; try again later "
                 "or ask an administrator")
          .WithReason("account_locked");
    }
    // Hashing takes tens of milliseconds: never inside a write transaction.
    if (!VerifyPassword(*request.password, user->password_hash)) {
      CUSTOS_RETURN_IF_ERROR(RecordFailure(&*user, attempted, "wrong_password", context));
      return InvalidCredentials();
    }
  }

  // The password step checks this too; the code step must, or guessing codes would go on
  // after the lockout.
  if (request.challenge && user->locked_until && *user->locked_until > now) {
    CUSTOS_RETURN_IF_ERROR(RecordFailure(&*user, attempted, "locked", context));
    return Status::PermissionDenied(
               "this account is locked after too many failed logins; try again later "
               "or ask an administrator")
        .WithReason("account_locked");
  }
  if (user->disabled) {
    CUSTOS_RETURN_IF_ERROR(RecordFailure(&*user, attempted, "disabled", context));
    return Status::PermissionDenied("this account is disabled").WithReason("account_disabled");
  }

  if (user->totp_enabled && user->totp_secret) {
    if (!request.code || request.code->empty()) {
      const std::string challenge = NewSecretToken();
      CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
      CUSTOS_RETURN_IF_ERROR(
          tx->Execute("DELETE FROM login_challenges WHERE expires_at < $1", {FormatTimestamp(now)})
              .status());
      CUSTOS_RETURN_IF_ERROR(
          tx->Execute("INSERT INTO login_challenges (challenge_hash, user_id, expires_at) "
                      "VALUES ($1, $2, $3)",
                      {SessionStore::HashToken(challenge), user->id,
                       FormatTimestamp(now + policy_.challenge_lifetime)})
              .status());
      CUSTOS_RETURN_IF_ERROR(tx->Commit());
      LoginResult result;
      result.totp_challenge = challenge;
      return result;
    }
    const auto step = MatchTotp(*user->totp_secret, *request.code, now);
    if (!step || *step <= user->totp_last_step) {
      CUSTOS_RETURN_IF_ERROR(RecordFailure(&*user, attempted, "wrong_code", context));
      return InvalidCredentials();
    }
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
    if (request.challenge) {
      CUSTOS_RETURN_IF_ERROR(tx->Execute("DELETE FROM login_challenges WHERE challenge_hash = $1",
                                         {SessionStore::HashToken(*request.challenge)})
                                 .status());
    }
    return CompleteLogin(*tx, *user, context, step);
  }
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  return CompleteLogin(*tx, *user, context, std::nullopt);
}

Status Accounts::Logout(const RequestContext& context) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_RETURN_IF_ERROR(sessions_.End(*tx, context.session_id));
  CUSTOS_RETURN_IF_ERROR(audit_.Record(
      *tx,
      audit::AuditEvent::For(context, "auth.logout", "session", context.session_id.substr(0, 16))));
  return tx->Commit();
}

Result<User> Accounts::Me(const RequestContext& context) {
  // The request was just authenticated, so the session cache holds a fresh copy.
  if (SessionRef session = sessions_.Cached(context.session_id);
      session && session->user_id == context.actor_id) {
    return session->user;
  }
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
  return LoadUser(*tx, context.actor_id);
}

Status Accounts::ChangeOwnPassword(const RequestContext& context,
                                   const std::string& current_password,
                                   const std::string& new_password) {
  std::string hash;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_ASSIGN_OR_RETURN(auto row, tx->QueryOne("SELECT password_hash FROM users WHERE id = $1",
                                                   {context.actor_id}));
    if (!row) return Status::NotFound("no such user");
    hash = row->String(0);
  }
  if (!VerifyPassword(current_password, hash)) {
    return Status::InvalidArgument("the current password is not right", "current_password");
  }
  CUSTOS_RETURN_IF_ERROR(CheckPasswordPolicy(new_password, context.actor_username, "new_password"));
  if (new_password == current_password) {
    return Status::InvalidArgument("the new password must differ from the current one",
                                   "new_password");
  }
  CUSTOS_ASSIGN_OR_RETURN(const std::string new_hash,
                          HashPassword(new_password, policy_.hash_cost));
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  const std::string now = FormatTimestamp(clock_.Now());
  CUSTOS_RETURN_IF_ERROR(
      tx->Execute("UPDATE users SET password_hash = $1, must_change_password = 0, "
                  "password_changed_at = $2, updated_at = $2 WHERE id = $3",
                  {new_hash, now, context.actor_id})
          .status());
  CUSTOS_RETURN_IF_ERROR(sessions_.EndAllFor(*tx, context.actor_id, context.session_id));
  CUSTOS_RETURN_IF_ERROR(audit_.Record(
      *tx, audit::AuditEvent::For(context, "auth.password_change", "user", context.actor_id)));
  return tx->Commit();
}

Result<TotpEnrollment> Accounts::BeginTotpEnrollment(const RequestContext& context) {
  TotpEnrollment enrollment;
  enrollment.secret = NewTotpSecret();
  enrollment.otpauth_uri = TotpUri(context.actor_username, enrollment.secret);
  CUSTOS_ASSIGN_OR_RETURN(enrollment.qr_svg, QrCodeSvg(enrollment.otpauth_uri));
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(
      const std::int64_t changed,
      tx->Execute("UPDATE users SET totp_secret = $1, updated_at = $2 WHERE id = $3 AND "
                  "totp_enabled = 0",
                  {enrollment.secret, FormatTimestamp(clock_.Now()), context.actor_id}));
  if (changed == 0) {
    return Status::FailedPrecondition(
        "a second factor is already set up; an administrator can reset it");
  }
  CUSTOS_RETURN_IF_ERROR(audit_.Record(
      *tx, audit::AuditEvent::For(context, "auth.totp_enroll", "user", context.actor_id)));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return enrollment;
}

Status Accounts::ConfirmTotp(const RequestContext& context, const std::string& code) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(auto row,
                          tx->QueryOne("SELECT totp_secret, totp_enabled FROM users WHERE id = $1",
                                       {context.actor_id}));
  if (!row) return Status::NotFound("no such user");
  if (row->Bool(1)) return Status::FailedPrecondition("the second factor is already active");
  if (row->IsNull(0)) return Status::FailedPrecondition("start enrolment first");
  const auto step = MatchTotp(row->Text(0), code, clock_.Now());
  if (!step)
    return Status::InvalidArgument("that code does not match; check the time on your device",
                                   "code");
  CUSTOS_RETURN_IF_ERROR(
      tx->Execute("UPDATE users SET totp_enabled = 1, totp_last_step = $1, updated_at = $2 "
                  "WHERE id = $3",
                  {*step, FormatTimestamp(clock_.Now()), context.actor_id})
          .status());
  CUSTOS_RETURN_IF_ERROR(audit_.Record(
      *tx, audit::AuditEvent::For(context, "auth.totp_confirm", "user", context.actor_id)));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  sessions_.ForgetUser(context.actor_id);
  return Status::Ok();
}

Result<User> Accounts::CreateUser(const RequestContext& context, const NewUser& request) {
  CUSTOS_RETURN_IF_ERROR(Require(context, Permission::kUsersManage));
  CUSTOS_ASSIGN_OR_RETURN(const std::string username, NormalizeUsername(request.username));
  CUSTOS_RETURN_IF_ERROR(CheckDisplayName(request.display_name));
  CUSTOS_ASSIGN_OR_RETURN(const std::vector<Role> roles, ParseRoles(request.roles));
  CUSTOS_RETURN_IF_ERROR(CheckPasswordPolicy(request.password, username));
  CUSTOS_ASSIGN_OR_RETURN(const std::string hash,
                          HashPassword(request.password, policy_.hash_cost));
  const Timestamp now = clock_.Now();
  const std::string now_text = FormatTimestamp(now);
  const std::string id = NewId(now);
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  auto inserted = tx->Execute(
      "INSERT INTO users (id, username, display_name, password_hash, "
      "must_change_password, created_at, updated_at, password_changed_at) "
      "VALUES ($1, $2, $3, $4, $5, $6, $6, $6)",
      {id, username, request.display_name, hash, request.must_change_password, now_text});
  if (!inserted.ok()) {
    if (inserted.status().code() == StatusCode::kConflict) {
      return Status::Conflict("the username " + username + " is taken", "username");
    }
    return inserted.status();
  }
  CUSTOS_RETURN_IF_ERROR(WriteRoles(*tx, id, roles));
  CUSTOS_RETURN_IF_ERROR(
      audit_.Record(*tx, audit::AuditEvent::For(context, "user.create", "user", id)
                             .WithDetails({{"username", username}, {"roles", RoleNames(roles)}})));
  CUSTOS_ASSIGN_OR_RETURN(User user, LoadUser(*tx, id));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return user;
}

Result<User> Accounts::GetUser(const RequestContext& context, const std::string& id) {
  CUSTOS_RETURN_IF_ERROR(Require(context, Permission::kUsersManage));
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
  return LoadUser(*tx, id);
}

Result<UserPage> Accounts::ListUsers(const RequestContext& context, const std::string& query,
                                     int limit, const std::string& cursor) {
  CUSTOS_RETURN_IF_ERROR(Require(context, Permission::kUsersManage));
  limit = std::clamp(limit, 1, kMaxPageSize);
  std::string pattern = "%";
  for (char c : query) {
    if (c == '%' || c == '_' || c == '\\') pattern += '\\';
    pattern += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  pattern += "%";
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
  CUSTOS_ASSIGN_OR_RETURN(
      auto rows,
      tx->QueryAll(
          "SELECT id FROM users WHERE (username LIKE $1 ESCAPE '\\' OR LOWER(display_name) "
          "LIKE $1 ESCAPE '\\') AND username > $2 ORDER BY username LIMIT $3",
          {pattern, cursor, std::int64_t{limit} + 1}));
  UserPage page;
  for (const auto& row : rows) {
    if (static_cast<int>(page.users.size()) == limit) {
      page.next_cursor = page.users.back().username;
      break;
    }
    CUSTOS_ASSIGN_OR_RETURN(User user, LoadUser(*tx, row.String(0)));
    page.users.push_back(std::move(user));
  }
  return page;
}

Result<User> Accounts::AdminChange(
    const RequestContext& context, const std::string& id, std::string_view action,
    const std::function<Status(storage::Transaction&, const User&, Json&)>& change) {
  CUSTOS_RETURN_IF_ERROR(Require(context, Permission::kUsersManage));
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(const User before, LoadUser(*tx, id));
  Json details = Json::object();
  details["username"] = before.username;
  CUSTOS_RETURN_IF_ERROR(change(*tx, before, details));
  CUSTOS_RETURN_IF_ERROR(tx->Execute("UPDATE users SET updated_at = $1 WHERE id = $2",
                                     {FormatTimestamp(clock_.Now()), id})
                             .status());
  CUSTOS_RETURN_IF_ERROR(audit_.Record(
      *tx, audit::AuditEvent::For(context, std::string(action), "user", id).WithDetails(details)));
  CUSTOS_ASSIGN_OR_RETURN(User after, LoadUser(*tx, id));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  sessions_.ForgetUser(id);
  return after;
}

Result<User> Accounts::UpdateUser(const RequestContext& context, const std::string& id,
                                  const UserChanges& changes) {
  std::optional<std::vector<Role>> roles;
  if (changes.roles) {
    CUSTOS_ASSIGN_OR_RETURN(roles, ParseRoles(*changes.roles));
    if (id == context.actor_id &&
        std::find(roles->begin(), roles->end(), Role::kAdmin) == roles->end()) {
      return Status::FailedPrecondition("you cannot remove your own admin role");
    }
  }
  if (changes.display_name) CUSTOS_RETURN_IF_ERROR(CheckDisplayName(*changes.display_name));
  return AdminChange(
      context, id, "user.update", [&](storage::Transaction& tx, const User& before, Json& details) {
        if (changes.display_name) {
          CUSTOS_RETURN_IF_ERROR(tx.Execute("UPDATE users SET display_name = $1 WHERE id = $2",
                                            {*changes.display_name, id})
                                     .status());
          details["display_name"] = *changes.display_name;
        }
        if (roles) {
          CUSTOS_RETURN_IF_ERROR(WriteRoles(tx, id, *roles));
          details["roles_before"] = RoleNames(before.roles);
          details["roles"] = RoleNames(*roles);
        }
        return Status::Ok();
      });
}

Result<User> Accounts::DisableUser(const RequestContext& context, const std::string& id) {
  if (id == context.actor_id)
    return Status::FailedPrecondition("you cannot disable your own account");
  return AdminChange(
      context, id, "user.disable", [&](storage::Transaction& tx, const User&, Json&) {
        CUSTOS_RETURN_IF_ERROR(
            tx.Execute("UPDATE users SET disabled = 1 WHERE id = $1", {id}).status());
        return sessions_.EndAllFor(tx, id);
      });
}

Result<User> Accounts::EnableUser(const RequestContext& context, const std::string& id) {
  return AdminChange(context, id, "user.enable", [&](storage::Transaction& tx, const User&, Json&) {
    return tx.Execute("UPDATE users SET disabled = 0 WHERE id = $1", {id}).status();
  });
}

Result<User> Accounts::UnlockUser(const RequestContext& context, const std::string& id) {
  return AdminChange(context, id, "user.unlock", [&](storage::Transaction& tx, const User&, Json&) {
    return tx.Execute("UPDATE users SET locked_until = NULL, failed_logins = 0 WHERE id = $1", {id})
        .status();
  });
}

Result<User> Accounts::ResetPassword(const RequestContext& context, const std::string& id,
                                     const std::string& new_password) {
  std::string username;
  {
    CUSTOS_RETURN_IF_ERROR(Require(context, Permission::kUsersManage));
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_ASSIGN_OR_RETURN(const User user, LoadUser(*tx, id));
    username = user.username;
  }
  CUSTOS_RETURN_IF_ERROR(CheckPasswordPolicy(new_password, username, "new_password"));
  CUSTOS_ASSIGN_OR_RETURN(const std::string hash, HashPassword(new_password, policy_.hash_cost));
  return AdminChange(
      context, id, "user.reset_password", [&](storage::Transaction& tx, const User&, Json&) {
        CUSTOS_RETURN_IF_ERROR(
            tx.Execute("UPDATE users SET password_hash = $1, must_change_password = $2, "
                       "password_changed_at = $3, locked_until = NULL, failed_logins = 0 "
                       "WHERE id = $4",
                       {hash, id != context.actor_id, FormatTimestamp(clock_.Now()), id})
                .status());
        return sessions_.EndAllFor(tx, id,
                                   id == context.actor_id ? context.session_id : std::string());
      });
}

Result<User> Accounts::ResetTotp(const RequestContext& context, const std::string& id) {
  return AdminChange(
      context, id, "user.reset_totp", [&](storage::Transaction& tx, const User&, Json&) {
        CUSTOS_RETURN_IF_ERROR(
            tx.Execute("UPDATE users SET totp_secret = NULL, totp_enabled = 0 WHERE id = $1", {id})
                .status());
        return sessions_.EndAllFor(tx, id,
                                   id == context.actor_id ? context.session_id : std::string());
      });
}

Result<AccountCounts> Accounts::Counts(const RequestContext& context) {
  CUSTOS_RETURN_IF_ERROR(Require(context, Permission::kDashboardView));
  const Timestamp now = clock_.Now();
  AccountCounts counts;
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
  CUSTOS_ASSIGN_OR_RETURN(counts.users_active,
                          tx->QueryInt("SELECT COUNT(*) FROM users WHERE disabled = 0"));
  CUSTOS_ASSIGN_OR_RETURN(counts.sessions_active, sessions_.CountActive(*tx));
  if (Has(context, Permission::kUsersManage)) {
    CUSTOS_ASSIGN_OR_RETURN(counts.users_disabled,
                            tx->QueryInt("SELECT COUNT(*) FROM users WHERE disabled = 1"));
    CUSTOS_ASSIGN_OR_RETURN(
        counts.users_locked,
        tx->QueryInt("SELECT COUNT(*) FROM users WHERE locked_until > $1", {FormatTimestamp(now)}));
    CUSTOS_ASSIGN_OR_RETURN(
        counts.failed_logins_24h,
        tx->QueryInt(
            "SELECT COUNT(*) FROM audit_events WHERE action = 'auth.login_failed' AND time >= $1",
            {FormatTimestamp(now - std::chrono::hours(24))}));
  }
  return counts;
}

Result<bool> Accounts::IsEmpty() {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
  CUSTOS_ASSIGN_OR_RETURN(const std::int64_t users, tx->QueryInt("SELECT COUNT(*) FROM users"));
  return users == 0;
}

}  // namespace custos::auth
