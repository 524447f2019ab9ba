// SessionStore: login sessions, for the web (cookie) and the API (bearer token) alike.
//
// A session token is 32 random bytes shown to the client once; only its SHA-256 is stored.
// A session ends at logout, after `idle_timeout` without use (HIPAA 164.312(a)(2)(iii)
// automatic logoff), `lifetime` after login, or at once when its user is disabled, loses a
// password, or is reset.
//
// Authenticate() runs on every request, so sessions are cached in memory: a cached entry is
// re-read from the database when it is older than `revalidate_after` (another node may have
// ended it), and `last_seen_at` is written back at most every `touch_interval`. Thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "custos/auth/permissions.h"
#include "custos/auth/user.h"
#include "custos/core/clock.h"
#include "custos/storage/database.h"

namespace custos::auth {

struct SessionPolicy {
  std::chrono::seconds idle_timeout{15 * 60};
  std::chrono::seconds lifetime{12 * 60 * 60};
  bool require_admin_totp = true;
  std::chrono::seconds revalidate_after{2};
  std::chrono::seconds touch_interval{30};
};

inline constexpr std::string_view kWouldBlock = "would_block";

// What a session may do beyond its roles' permissions.
enum class SessionRestriction {
  kNone,
  kTotpEnrollmentRequired,  // an admin without a second factor, where one is required
  kPasswordChangeRequired,  // after an administrator reset the password
};

struct AuthenticatedSession {
  std::string token_hash;
  std::string user_id;
  std::string username;
  std::string display_name;
  std::vector<Role> roles;
  SessionRestriction restriction = SessionRestriction::kNone;
  User user;  // as read when the session was last validated (at most `revalidate_after` ago)
  // Derived once per validation, for every request's RequestContext.
  std::string roles_text;  // comma-separated role names
  std::uint64_t permission_bits = 0;
};

// Sessions are immutable once validated and shared between the cache and the requests using them.
using SessionRef = std::shared_ptr<const AuthenticatedSession>;

class SessionStore {
 public:
  SessionStore(storage::Database& database, const Clock& clock, SessionPolicy policy);
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  // Starts a session for `user_id` inside `tx`; returns the token (the only time it exists in
  // the clear).
  Result<std::string> Create(storage::Transaction& tx, const std::string& user_id,
                             std::string_view source_address);
  // The session behind `token`. kUnauthenticated (reason "session_expired" when it timed out,
  // "unauthenticated" when unknown). With `may_block` false it answers only from memory and
  // returns kUnavailable with reason kWouldBlock when the database is needed.
  Result<SessionRef> Authenticate(std::string_view token, bool may_block = true);
  // Ends one session / every session of a user, in `tx`. The cache forgets them at once.
  Status End(storage::Transaction& tx, const std::string& token_hash);
  Status EndAllFor(storage::Transaction& tx, const std::string& user_id,
                   const std::string& except_token_hash = {});
  // Drops cached sessions of a user so that changed roles or restrictions apply at once.
  void ForgetUser(const std::string& user_id);
  // The cached session for a token hash, without touching the database or the idle clock;
  // null when it is not cached. For data about the caller right after Authenticate().
  SessionRef Cached(const std::string& token_hash);
  // Sessions used within the idle timeout.
  Result<std::int64_t> CountActive(storage::Transaction& tx) const;

  const SessionPolicy& policy() const { return policy_; }
  static std::string HashToken(std::string_view token);

 private:
  struct CacheEntry {
    SessionRef session;
    Timestamp expires_at;
    Timestamp last_seen_at;
    Timestamp persisted_last_seen_at;
    Timestamp validated_at;
  };
  Result<CacheEntry> Load(const std::string& token_hash, Timestamp now);
  void Forget(const std::string& token_hash);
  Status Delete(const std::string& token_hash);

  storage::Database& database_;
  const Clock& clock_;
  SessionPolicy policy_;
  std::mutex mutex_;
  std::unordered_map<std::string, CacheEntry> cache_;  // GUARDED_BY(mutex_)
};

}  // namespace custos::auth
