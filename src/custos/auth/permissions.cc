#include "custos/auth/permissions.h"

namespace custos::auth {

namespace {
using P = Permission;
}  // namespace

const std::vector<PermissionInfo>& AllPermissions() {
  static const std::vector<PermissionInfo> permissions = {
      {P::kDashboardView, "dashboard.view", "See the department dashboard"},
      {P::kUsersManage, "users.manage", "Create, disable and unlock users; assign roles"},
      {P::kAuditRead, "audit.read", "Search, export and verify the audit trail"},
      {P::kPatientsRead, "patients.read", "Find patients and open their charts"},
      {P::kPatientsRegister, "patients.register", "Register patients and edit demographics"},
      {P::kPatientsMerge, "patients.merge", "Work the duplicate queue: merge and unmerge"},
      {P::kClinicalRead, "clinical.read", "Read clinical resources"},
      {P::kClinicalWrite, "clinical.write", "Create and change clinical resources"},
      {P::kChartRead, "chart.read", "See chart completion and deficiencies"},
      {P::kChartManage, "chart.manage", "Assign and resolve deficiencies"},
      {P::kCodingRead, "coding.read", "See coding work queues and codes"},
      {P::kCodingWrite, "coding.write", "Assign and validate codes"},
      {P::kRoiRead, "roi.read", "See release-of-information requests and the disclosure log"},
      {P::kRoiRelease, "roi.release", "Decide and release information"},
      {P::kRetentionRead, "retention.read", "See retention schedules and legal holds"},
      {P::kRetentionManage, "retention.manage", "Place holds, run destruction"},
      {P::kBreakGlass, "clinical.break_glass",
       "Open a restricted record in an emergency (reviewed)"},
      {P::kOwnRecordRead, "portal.own_record", "A patient reading their own record"},
  };
  return permissions;
}

const std::vector<RoleInfo>& AllRoles() {
  // Admin runs the system but reads no patient data and cannot read the audit trail that
  // records its own actions (separation of duties); auditors and privacy officers can.
  static const std::vector<RoleInfo> roles = {
      {Role::kAdmin,
       "admin",
       "System administrator: users and roles",
       {P::kDashboardView, P::kUsersManage}},
      {Role::kRegistrar,
       "registrar",
       "Patient access: registration and intake",
       {P::kDashboardView, P::kPatientsRead, P::kPatientsRegister}},
      {Role::kHimAnalyst,
       "him_analyst",
       "HIM analyst: chart completion, duplicates, record integrity",
       {P::kDashboardView, P::kPatientsRead, P::kPatientsMerge, P::kClinicalRead, P::kChartRead,
        P::kChartManage, P::kRetentionRead}},
      {Role::kCoder,
       "coder",
       "Coder: code assignment and validation",
       {P::kDashboardView, P::kPatientsRead, P::kClinicalRead, P::kChartRead, P::kCodingRead,
        P::kCodingWrite}},
      {Role::kRoiSpecialist,
       "roi_specialist",
       "Release of information specialist",
       {P::kDashboardView, P::kPatientsRead, P::kClinicalRead, P::kRoiRead, P::kRoiRelease}},
      {Role::kClinician,
       "clinician",
       "Clinician: treats patients, signs documents",
       {P::kDashboardView, P::kPatientsRead, P::kClinicalRead, P::kClinicalWrite, P::kChartRead,
        P::kBreakGlass}},
      {Role::kPrivacyOfficer,
       "privacy_officer",
       "Privacy officer: access reviews, disclosures, holds",
       {P::kDashboardView, P::kAuditRead, P::kPatientsRead, P::kRoiRead, P::kRetentionRead,
        P::kRetentionManage}},
      {Role::kAuditor,
       "auditor",
       "Auditor: reads and verifies the audit trail",
       {P::kDashboardView, P::kAuditRead}},
      {Role::kPatient, "patient", "A patient using the portal", {P::kOwnRecordRead}},
  };
  return roles;
}

std::string_view RoleName(Role role) {
  for (const auto& info : AllRoles()) {
    if (info.role == role) return info.name;
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (const auto& info : AllRoles()) {
    if (info.name == name) return info.role;
  }
  return std::nullopt;
}

std::string_view PermissionName(Permission permission) {
  for (const auto& info : AllPermissions()) {
    if (info.permission == permission) return info.name;
  }
  return "unknown";
}

std::uint64_t PermissionBits(std::span<const Role> roles) {
  std::uint64_t bits = 0;
  for (Role role : roles) {
    for (const auto& info : AllRoles()) {
      if (info.role != role) continue;
      for (Permission permission : info.permissions) bits |= Bit(permission);
    }
  }
  return bits;
}

bool Has(const RequestContext& context, Permission permission) {
  return (context.permission_bits & Bit(permission)) != 0;
}

Status Require(const RequestContext& context, Permission permission) {
  if (Has(context, permission)) return Status::Ok();
  return Status::PermissionDenied("this needs the permission " +
                                  std::string(PermissionName(permission)));
}

}  // namespace custos::auth
