// Roles and permissions: the one table that says who may do what (DESIGN.md §5).
//
// Permissions are granted to roles only, never to users directly; a user holds one or more
// roles. Every domain service checks the permission it needs with Require(), so no interface
// can forget it; the HTTP route table repeats the permission so that a test can prove every
// route refuses the roles without it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custos/core/request_context.h"
#include "custos/core/status.h"

namespace custos::auth {

enum class Role : std::uint8_t {
  kAdmin,
  kRegistrar,
  kHimAnalyst,
  kCoder,
  kRoiSpecialist,
  kClinician,
  kPrivacyOfficer,
  kAuditor,
  kPatient,
};

enum class Permission : std::uint8_t {
  kDashboardView,
  kUsersManage,
  kAuditRead,
  kPatientsRead,
  kPatientsRegister,
  kPatientsMerge,
  kClinicalRead,
  kClinicalWrite,
  kChartRead,
  kChartManage,
  kCodingRead,
  kCodingWrite,
  kRoiRead,
  kRoiRelease,
  kRetentionRead,
  kRetentionManage,
  kBreakGlass,
  kOwnRecordRead,
};

struct RoleInfo {
  Role role;
  std::string_view name;         // "him_analyst", as stored and sent over the API
  std::string_view description;  // for people
  std::vector<Permission> permissions;
};

struct PermissionInfo {
  Permission permission;
  std::string_view name;  // "users.manage"
  std::string_view description;
};

const std::vector<RoleInfo>& AllRoles();
const std::vector<PermissionInfo>& AllPermissions();

std::string_view RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);
std::string_view PermissionName(Permission permission);

// The permission bits granted by `roles` (RequestContext::permission_bits).
std::uint64_t PermissionBits(std::span<const Role> roles);
inline std::uint64_t Bit(Permission permission) {
  return std::uint64_t{1} << static_cast<int>(permission);
}
bool Has(const RequestContext& context, Permission permission);

// OK when `context` holds `permission`, else kPermissionDenied naming it.
Status Require(const RequestContext& context, Permission permission);

}  // namespace custos::auth
