// User: a person who uses Custos, as administrators and the person themself see them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "custos/auth/permissions.h"
#include "custos/core/clock.h"
#include "custos/storage/database.h"

namespace custos::auth {

struct User {
  std::string id;
  std::string username;
  std::string display_name;
  std::vector<Role> roles;
  bool disabled = false;
  bool locked = false;
  bool totp_enabled = false;
  bool must_change_password = false;
  std::string created_at;
  std::optional<std::string> last_login_at;
};

// Reads a user and their roles; `now` decides whether a lockout is still in force.
// kNotFound for an unknown id.
Result<User> ReadUser(storage::Transaction& tx, const std::string& id, Timestamp now);
// A user's roles (unknown role names, from a newer version, are skipped).
Result<std::vector<Role>> LoadRoles(storage::Transaction& tx, const std::string& user_id);

}  // namespace custos::auth
