#include "custos/auth/sessions.h"

#include <algorithm>

#include "custos/core/crypto.h"

namespace custos::auth {

SessionStore::SessionStore(storage::Database& database, const Clock& clock, SessionPolicy policy)
    : database_(database), clock_(clock), policy_(policy) {}

std::string SessionStore::HashToken(std::string_view token) { return HexEncode(Sha256(token)); }

Result<std::vector<Role>> LoadRoles(storage::Transaction& tx, const std::string& user_id) {
  std::vector<Role> roles;
  CUSTOS_RETURN_IF_ERROR(tx.Query("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role", {user_id},
                                  [&](const storage::Row& row) {
                                    if (auto role = ParseRole(row.Text(0))) roles.push_back(*role);
                                    return true;
                                  }));
  return roles;
}

Result<std::string> SessionStore::Create(storage::Transaction& tx, const std::string& user_id,
                                         std::string_view source_address) {
  const std::string token = NewSecretToken();
  const Timestamp now = clock_.Now();
  const std::string now_text = FormatTimestamp(now);
  CUSTOS_RETURN_IF_ERROR(tx.Execute("INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, "
                                    "expires_at, source_address) VALUES ($1, $2, $3, $4, $5, $6)",
                                    {HashToken(token), user_id, now_text, now_text,
                                     FormatTimestamp(now + policy_.lifetime), source_address})
                             .status());
  return token;
}

Result<SessionStore::Cached> SessionStore::Load(const std::string& token_hash, Timestamp now) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
  CUSTOS_ASSIGN_OR_RETURN(
      auto row, tx->QueryOne("SELECT s.user_id, s.last_seen_at, s.expires_at, u.username, u.display_name, "
                             "u.disabled, u.totp_enabled, u.must_change_password FROM sessions s "
                             "JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
                             {token_hash}));
  if (!row || row->Bool(5)) return Status::Unauthenticated("not logged in");
  Cached cached;
  cached.session.token_hash = token_hash;
  cached.session.user_id = row->String(0);
  cached.session.username = row->String(3);
  cached.session.display_name = row->String(4);
  CUSTOS_ASSIGN_OR_RETURN(cached.session.roles, LoadRoles(*tx, cached.session.user_id));
  const bool is_admin = std::find(cached.session.roles.begin(), cached.session.roles.end(), Role::kAdmin) !=
                        cached.session.roles.end();
  if (row->Bool(7)) {
    cached.session.restriction = SessionRestriction::kPasswordChangeRequired;
  } else if (is_admin && policy_.require_admin_totp && !row->Bool(6)) {
    cached.session.restriction = SessionRestriction::kTotpEnrollmentRequired;
  }
  cached.last_seen_at = ParseTimestamp(row->Text(1)).value_or(Timestamp{});
  cached.persisted_last_seen_at = cached.last_seen_at;
  cached.expires_at = ParseTimestamp(row->Text(2)).value_or(Timestamp{});
  cached.validated_at = now;
  return cached;
}

Result<AuthenticatedSession> SessionStore::Authenticate(std::string_view token) {
  if (token.empty()) return Status::Unauthenticated("not logged in");
  const std::string token_hash = HashToken(token);
  const Timestamp now = clock_.Now();
  std::optional<Cached> entry;
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(token_hash);
    if (it != cache_.end() && now - it->second.validated_at < policy_.revalidate_after) entry = it->second;
  }
  if (!entry) {
    Result<Cached> result = Load(token_hash, now);
    if (!result.ok()) {
      Forget(token_hash);
      return result.status();
    }
    Cached loaded = std::move(result).value();
    std::lock_guard lock(mutex_);
    auto it = cache_.find(token_hash);
    // Another request on this node may have seen the session more recently than the database.
    if (it != cache_.end()) loaded.last_seen_at = std::max(loaded.last_seen_at, it->second.last_seen_at);
    cache_[token_hash] = loaded;
    entry = loaded;
  }
  if (now >= entry->expires_at || now - entry->last_seen_at > policy_.idle_timeout) {
    Forget(token_hash);
    CUSTOS_RETURN_IF_ERROR(Delete(token_hash));
    return Status::Unauthenticated("your session has ended; please log in again").WithReason("session_expired");
  }
  bool persist = false;
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(token_hash);
    if (it != cache_.end()) {
      it->second.last_seen_at = now;
      if (now - it->second.persisted_last_seen_at >= policy_.touch_interval) {
        it->second.persisted_last_seen_at = now;
        persist = true;
      }
    }
  }
  if (persist) {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
    CUSTOS_RETURN_IF_ERROR(tx->Execute("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2",
                                       {FormatTimestamp(now), token_hash})
                               .status());
    CUSTOS_RETURN_IF_ERROR(tx->Commit());
  }
  return entry->session;
}

void SessionStore::Forget(const std::string& token_hash) {
  std::lock_guard lock(mutex_);
  cache_.erase(token_hash);
}

Status SessionStore::Delete(const std::string& token_hash) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_RETURN_IF_ERROR(tx->Execute("DELETE FROM sessions WHERE token_hash = $1", {token_hash}).status());
  return tx->Commit();
}

Status SessionStore::End(storage::Transaction& tx, const std::string& token_hash) {
  Forget(token_hash);
  return tx.Execute("DELETE FROM sessions WHERE token_hash = $1", {token_hash}).status();
}

void SessionStore::ForgetUser(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  std::erase_if(cache_, [&](const auto& item) { return item.second.session.user_id == user_id; });
}

Status SessionStore::EndAllFor(storage::Transaction& tx, const std::string& user_id,
                               const std::string& except_token_hash) {
  ForgetUser(user_id);
  return tx.Execute("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2", {user_id, except_token_hash})
      .status();
}

Result<std::int64_t> SessionStore::CountActive(storage::Transaction& tx) const {
  const Timestamp now = clock_.Now();
  return tx.QueryInt("SELECT COUNT(*) FROM sessions WHERE last_seen_at > $1 AND expires_at > $2",
                     {FormatTimestamp(now - policy_.idle_timeout), FormatTimestamp(now)});
}

}  // namespace custos::auth
