#include "custos/auth/permissions.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "testing/status_matchers.h"

namespace custos::auth {
namespace {

const RoleInfo& InfoOf(Role role) {
  for (const auto& info : AllRoles()) {
    if (info.role == role) return info;
  }
  ADD_FAILURE() << "no RoleInfo for a role";
  return AllRoles().front();
}

RequestContext ContextWith(std::vector<Role> roles) {
  RequestContext context;
  context.actor_id = "u1";
  context.permission_bits = PermissionBits(roles);
  return context;
}

TEST(PermissionsTest, EveryRoleNameParsesBack) {
  ASSERT_EQ(AllRoles().size(), 9u);  // DESIGN.md §5 lists nine roles
  std::set<std::string_view> names;
  for (const auto& info : AllRoles()) {
    EXPECT_EQ(RoleName(info.role), info.name);
    const auto parsed = ParseRole(info.name);
    ASSERT_TRUE(parsed.has_value()) << info.name;
    EXPECT_EQ(*parsed, info.role);
    names.insert(info.name);
  }
  EXPECT_EQ(names.size(), AllRoles().size());
  for (std::string_view name : {"admin", "registrar", "him_analyst", "coder", "roi_specialist",
                                "clinician", "privacy_officer", "auditor", "patient"}) {
    EXPECT_TRUE(ParseRole(name).has_value()) << name;
  }
}

TEST(PermissionsTest, UnknownRoleNamesDoNotParse) {
  EXPECT_FALSE(ParseRole("").has_value());
  EXPECT_FALSE(ParseRole("Admin").has_value());
  EXPECT_FALSE(ParseRole("superuser").has_value());
  EXPECT_FALSE(ParseRole("admin ").has_value());
}

TEST(PermissionsTest, EveryPermissionHasAUniqueNameAndFitsTheBits) {
  std::set<std::string_view> names;
  std::set<int> values;
  for (const auto& info : AllPermissions()) {
    EXPECT_FALSE(info.name.empty());
    EXPECT_FALSE(info.description.empty()) << info.name;
    EXPECT_EQ(PermissionName(info.permission), info.name);
    EXPECT_TRUE(names.insert(info.name).second) << "duplicate name " << info.name;
    EXPECT_TRUE(values.insert(static_cast<int>(info.permission)).second)
        << "listed twice: " << info.name;
    EXPECT_LT(static_cast<int>(info.permission), 64) << info.name;
  }
  // Every enumerator up to the last one is listed.
  EXPECT_EQ(values.size(), static_cast<size_t>(static_cast<int>(Permission::kOwnRecordRead) + 1));
}

TEST(PermissionsTest, AdminManagesUsersButReadsNeitherAuditNorPatientData) {
  const RequestContext admin = ContextWith({Role::kAdmin});
  EXPECT_TRUE(Has(admin, Permission::kUsersManage));
  for (Permission p : {Permission::kAuditRead, Permission::kPatientsRead, Permission::kClinicalRead,
                       Permission::kChartRead, Permission::kRoiRead, Permission::kCodingRead,
                       Permission::kOwnRecordRead, Permission::kBreakGlass}) {
    EXPECT_FALSE(Has(admin, p)) << PermissionName(p);
  }
}

TEST(PermissionsTest, AuditorReadsTheAuditTrailOnly) {
  const RequestContext auditor = ContextWith({Role::kAuditor});
  EXPECT_TRUE(Has(auditor, Permission::kAuditRead));
  EXPECT_FALSE(Has(auditor, Permission::kUsersManage));
  EXPECT_FALSE(Has(auditor, Permission::kPatientsRead));
  EXPECT_TRUE(Has(ContextWith({Role::kPrivacyOfficer}), Permission::kAuditRead));
  for (Role role : {Role::kAdmin, Role::kRegistrar, Role::kHimAnalyst, Role::kCoder,
                    Role::kRoiSpecialist, Role::kClinician, Role::kPatient}) {
    EXPECT_FALSE(Has(ContextWith({role}), Permission::kAuditRead)) << RoleName(role);
  }
}

TEST(PermissionsTest, OnlyAdminManagesUsers) {
  for (const auto& info : AllRoles()) {
    EXPECT_EQ(Has(ContextWith({info.role}), Permission::kUsersManage), info.role == Role::kAdmin)
        << info.name;
  }
}

TEST(PermissionsTest, RequireNamesTheMissingPermission) {
  const RequestContext coder = ContextWith({Role::kCoder});
  EXPECT_OK(Require(coder, Permission::kCodingWrite));
  const Status denied = Require(coder, Permission::kRoiRelease);
  EXPECT_EQ(denied.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(denied.message().find("roi.release"), std::string::npos) << denied.message();
  const Status audit = Require(coder, Permission::kAuditRead);
  EXPECT_NE(audit.message().find("audit.read"), std::string::npos) << audit.message();
}

TEST(PermissionsTest, NoRolesMeansNoPermissions) {
  EXPECT_EQ(PermissionBits({}), 0u);
  const RequestContext nobody = ContextWith({});
  for (const auto& info : AllPermissions()) EXPECT_FALSE(Has(nobody, info.permission)) << info.name;
}

TEST(PermissionsTest, BitsOfSeveralRolesAreTheUnion) {
  const std::vector<Role> roles = {Role::kAdmin, Role::kAuditor, Role::kCoder};
  std::uint64_t expected = 0;
  for (Role role : roles) {
    for (Permission p : InfoOf(role).permissions) expected |= Bit(p);
  }
  EXPECT_EQ(PermissionBits(roles), expected);
  EXPECT_EQ(PermissionBits(roles), PermissionBits(std::vector<Role>{Role::kAdmin}) |
                                       PermissionBits(std::vector<Role>{Role::kAuditor}) |
                                       PermissionBits(std::vector<Role>{Role::kCoder}));
  const RequestContext context = ContextWith(roles);
  EXPECT_TRUE(Has(context, Permission::kUsersManage));
  EXPECT_TRUE(Has(context, Permission::kAuditRead));
  EXPECT_TRUE(Has(context, Permission::kCodingWrite));
  EXPECT_FALSE(Has(context, Permission::kRoiRelease));
  // Repeating a role changes nothing.
  EXPECT_EQ(PermissionBits(std::vector<Role>{Role::kCoder, Role::kCoder}),
            PermissionBits(std::vector<Role>{Role::kCoder}));
}

TEST(PermissionsTest, BitsMatchTheTable) {
  for (const auto& info : AllRoles()) {
    const std::uint64_t bits = PermissionBits(std::vector<Role>{info.role});
    std::uint64_t expected = 0;
    for (Permission p : info.permissions) expected |= Bit(p);
    EXPECT_EQ(bits, expected) << info.name;
    EXPECT_NE(bits, 0u) << info.name << " grants nothing";
  }
}

TEST(PermissionsTest, SystemContextHasEveryPermission) {
  const RequestContext system = RequestContext::System("system:test", "test");
  for (const auto& info : AllPermissions()) EXPECT_OK(Require(system, info.permission));
}

}  // namespace
}  // namespace custos::auth
