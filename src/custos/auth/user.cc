#include "custos/auth/user.h"

namespace custos::auth {

Result<std::vector<Role>> LoadRoles(storage::Transaction& tx, const std::string& user_id) {
  std::vector<Role> roles;
  CUSTOS_RETURN_IF_ERROR(tx.Query("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role",
                                  {user_id}, [&](const storage::Row& row) {
                                    if (auto role = ParseRole(row.Text(0))) roles.push_back(*role);
                                    return true;
                                  }));
  return roles;
}

Result<User> ReadUser(storage::Transaction& tx, const std::string& id, Timestamp now) {
  CUSTOS_ASSIGN_OR_RETURN(
      auto row,
      tx.QueryOne("SELECT id, username, display_name, disabled, locked_until, totp_enabled, "
                  "must_change_password, created_at, last_login_at FROM users WHERE id = $1",
                  {id}));
  if (!row) return Status::NotFound("no such user");
  User user;
  user.id = row->String(0);
  user.username = row->String(1);
  user.display_name = row->String(2);
  user.disabled = row->Bool(3);
  user.locked = !row->IsNull(4) && row->Text(4) > FormatTimestamp(now);
  user.totp_enabled = row->Bool(5);
  user.must_change_password = row->Bool(6);
  user.created_at = row->String(7);
  user.last_login_at = row->OptionalString(8);
  CUSTOS_ASSIGN_OR_RETURN(user.roles, LoadRoles(tx, user.id));
  return user;
}

}  // namespace custos::auth
