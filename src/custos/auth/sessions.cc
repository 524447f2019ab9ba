#include "custos/auth/sessions.h"

#include <algorithm>

#include "custos/core/crypto.h"

namespace custos::auth {

SessionStore::SessionStore(storage::Database& database, const Clock& clock, SessionPolicy policy)
    : database_(database), clock_(clock), policy_(policy) {}

std::string SessionStore::HashToken(std::string_view token) { return HexEncode(Sha256(token)); }

Result<std::string> SessionStore::Create(storage::Transaction& tx, const std::string& user_id,
                                         std::string_view source_address) {
  const std::string token = NewSecretToken();
  const Timestamp now = clock_.Now();
  const std::string now_text = FormatTimestamp(now);
  CUSTOS_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, "
                 "expires_at, source_address) VALUES ($1, $2, $3, $4, $5, $6)",
                 {HashToken(token), user_id, now_text, now_text,
                  FormatTimestamp(now + policy_.lifetime), source_address})
          .status());
  return token;
}

Result<SessionStore::CacheEntry> SessionStore::Load(const std::string& token_hash, Timestamp now) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
  CUSTOS_ASSIGN_OR_RETURN(auto row,
                          tx->QueryOne("SELECT user_id, last_seen_at, expires_at FROM sessions "
                                       "WHERE token_hash = $1",
                                       {token_hash}));
  if (!row) return Status::Unauthenticated("not logged in");
  auto user = ReadUser(*tx, row->String(0), now);
  if (!user.ok() || user->disabled) return Status::Unauthenticated("not logged in");
  auto session = std::make_shared<AuthenticatedSession>();
  session->token_hash = token_hash;
  session->user_id = user->id;
  session->username = user->username;
  session->display_name = user->display_name;
  session->roles = user->roles;
  const bool is_admin =
      std::find(user->roles.begin(), user->roles.end(), Role::kAdmin) != user->roles.end();
  if (user->must_change_password) {
    session->restriction = SessionRestriction::kPasswordChangeRequired;
  } else if (is_admin && policy_.require_admin_totp && !user->totp_enabled) {
    session->restriction = SessionRestriction::kTotpEnrollmentRequired;
  }
  for (Role role : user->roles) {
    if (!session->roles_text.empty()) session->roles_text += ',';
    session->roles_text += RoleName(role);
  }
  session->permission_bits = PermissionBits(user->roles);
  session->user = std::move(user).value();
  CacheEntry cached;
  cached.session = std::move(session);
  cached.last_seen_at = ParseTimestamp(row->Text(1)).value_or(Timestamp{});
  cached.persisted_last_seen_at = cached.last_seen_at;
  cached.expires_at = ParseTimestamp(row->Text(2)).value_or(Timestamp{});
  cached.validated_at = now;
  return cached;
}

SessionRef SessionStore::Cached(const std::string& token_hash) {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(token_hash);
  return it == cache_.end() ? nullptr : it->second.session;
}

Result<SessionRef> SessionStore::Authenticate(std::string_view token, bool may_block) {
  if (token.empty()) return Status::Unauthenticated("not logged in");
  const std::string token_hash = HashToken(token);
  const Timestamp now = clock_.Now();
  if (!may_block) {
    // Only a fresh, live cache entry with nothing to write back can be answered from memory.
    std::lock_guard lock(mutex_);
    auto it = cache_.find(token_hash);
    if (it == cache_.end() || now - it->second.validated_at >= policy_.revalidate_after ||
        now >= it->second.expires_at || now - it->second.last_seen_at > policy_.idle_timeout ||
        now - it->second.persisted_last_seen_at >= policy_.touch_interval) {
      return Status::Unavailable("needs the database").WithReason(std::string(kWouldBlock));
    }
    it->second.last_seen_at = now;
    return it->second.session;
  }
  std::optional<CacheEntry> entry;
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(token_hash);
    if (it != cache_.end() && now - it->second.validated_at < policy_.revalidate_after)
      entry = it->second;
  }
  if (!entry) {
    Result<CacheEntry> result = Load(token_hash, now);
    if (!result.ok()) {
      Forget(token_hash);
      return result.status();
    }
    CacheEntry loaded = std::move(result).value();
    std::lock_guard lock(mutex_);
    auto it = cache_.find(token_hash);
    // Another request on this node may have seen the session more recently than the database.
    if (it != cache_.end())
      loaded.last_seen_at = std::max(loaded.last_seen_at, it->second.last_seen_at);
    cache_[token_hash] = loaded;
    entry = loaded;
  }
  if (now >= entry->expires_at || now - entry->last_seen_at > policy_.idle_timeout) {
    Forget(token_hash);
    CUSTOS_RETURN_IF_ERROR(Delete(token_hash));
    return Status::Unauthenticated("your session has ended; please log in again")
        .WithReason("session_expired");
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
    CUSTOS_RETURN_IF_ERROR(
        tx->Execute("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2",
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
  CUSTOS_RETURN_IF_ERROR(
      tx->Execute("DELETE FROM sessions WHERE token_hash = $1", {token_hash}).status());
  return tx->Commit();
}

Status SessionStore::End(storage::Transaction& tx, const std::string& token_hash) {
  Forget(token_hash);
  return tx.Execute("DELETE FROM sessions WHERE token_hash = $1", {token_hash}).status();
}

void SessionStore::ForgetUser(const std::string& user_id) {
  std::lock_guard lock(mutex_);
  std::erase_if(cache_, [&](const auto& item) { return item.second.session->user_id == user_id; });
}

Status SessionStore::EndAllFor(storage::Transaction& tx, const std::string& user_id,
                               const std::string& except_token_hash) {
  ForgetUser(user_id);
  return tx
      .Execute("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2",
               {user_id, except_token_hash})
      .status();
}

Result<std::int64_t> SessionStore::CountActive(storage::Transaction& tx) const {
  const Timestamp now = clock_.Now();
  return tx.QueryInt("SELECT COUNT(*) FROM sessions WHERE last_seen_at > $1 AND expires_at > $2",
                     {FormatTimestamp(now - policy_.idle_timeout), FormatTimestamp(now)});
}

}  // namespace custos::auth
