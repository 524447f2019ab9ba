#include "custos/http/router.h"

#include <gtest/gtest.h>

#include <string>

namespace custos::http {
namespace {

// A handler that answers with its own name, so a test can tell which route ran.
Handler Named(std::string name) {
  return [name](const Request&, const RequestContext&) -> Result<Response> {
    Response response;
    response.body = name;
    return response;
  };
}

Route MakeRoute(std::string method, std::string pattern, std::string name = {}) {
  Route route;
  route.method = std::move(method);
  route.pattern = pattern;
  route.access = Access::kPermission;
  route.permission = auth::Permission::kUsersManage;
  route.handler = Named(name.empty() ? pattern : name);
  return route;
}

std::string HandlerName(const RouteMatch& match) {
  if (!match.route) return "<none>";
  auto response = match.route->handler(Request{}, RequestContext{});
  return response.ok() ? response->body : "<error>";
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add(MakeRoute("GET", "/api/v1/users", "list"));
    router_.Add(MakeRoute("POST", "/api/v1/users", "create"));
    router_.Add(MakeRoute("GET", "/api/v1/users/{id}", "get"));
    router_.Add(MakeRoute("POST", "/api/v1/users/{id}/disable", "disable"));
    router_.Add(MakeRoute("GET", "/api/v1/users/me", "me-literal-after-param"));
    router_.Add(MakeRoute("GET", "/api/v1/patients/{patient}/documents/{document}", "document"));
    Route health = MakeRoute("GET", "/healthz", "health");
    health.access = Access::kPublic;
    health.permission.reset();
    router_.Add(std::move(health));
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralRoutesByMethod) {
  auto list = router_.Match("GET", "/api/v1/users");
  ASSERT_NE(list.route, nullptr);
  EXPECT_EQ(HandlerName(list), "list");
  EXPECT_TRUE(list.params.empty());
  EXPECT_EQ(HandlerName(router_.Match("POST", "/api/v1/users")), "create");
  EXPECT_EQ(HandlerName(router_.Match("GET", "/healthz")), "health");
  EXPECT_EQ(router_.Match("GET", "/healthz").route->access, Access::kPublic);
}

TEST_F(RouterTest, CapturesParameters) {
  auto get = router_.Match("GET", "/api/v1/users/01HXYZ");
  ASSERT_NE(get.route, nullptr);
  EXPECT_EQ(HandlerName(get), "get");
  ASSERT_EQ(get.params.size(), 1u);
  EXPECT_EQ(get.params[0], (std::pair<std::string, std::string>{"id", "01HXYZ"}));

  auto disable = router_.Match("POST", "/api/v1/users/u-42/disable");
  EXPECT_EQ(HandlerName(disable), "disable");
  ASSERT_EQ(disable.params.size(), 1u);
  EXPECT_EQ(disable.params[0].second, "u-42");

  auto document = router_.Match("GET", "/api/v1/patients/p1/documents/d2");
  EXPECT_EQ(HandlerName(document), "document");
  ASSERT_EQ(document.params.size(), 2u);
  EXPECT_EQ(document.params[0], (std::pair<std::string, std::string>{"patient", "p1"}));
  EXPECT_EQ(document.params[1], (std::pair<std::string, std::string>{"document", "d2"}));
}

TEST_F(RouterTest, FirstAddedRouteWinsWhenSeveralMatch) {
  // "/api/v1/users/me" matches both "{id}" (added first) and the literal; order decides.
  auto me = router_.Match("GET", "/api/v1/users/me");
  EXPECT_EQ(HandlerName(me), "get");
}

TEST_F(RouterTest, DoesNotMatchWrongShapes) {
  for (const char* path : {"/api/v1/user", "/api/v1/users/", "/api/v1/users/a/b", "/api/v1", "/",
                           "/api/v1/users/u-42/disable/now", "/api/v1/patients/p1/documents/",
                           "/API/v1/users", "/healthz/"}) {
    const RouteMatch match = router_.Match("GET", path);
    EXPECT_EQ(match.route, nullptr) << path;
  }
  // An empty parameter segment is no parameter.
  EXPECT_EQ(router_.Match("POST", "/api/v1/users//disable").route, nullptr);
}

TEST_F(RouterTest, KnownPathWithAnotherMethodIsMarkedFor405) {
  auto wrong_method = router_.Match("DELETE", "/api/v1/users");
  EXPECT_EQ(wrong_method.route, nullptr);
  EXPECT_TRUE(wrong_method.path_known);

  auto param_wrong_method = router_.Match("GET", "/api/v1/users/u-42/disable");
  EXPECT_EQ(param_wrong_method.route, nullptr);
  EXPECT_TRUE(param_wrong_method.path_known);

  auto unknown = router_.Match("GET", "/api/v1/nothing-here");
  EXPECT_EQ(unknown.route, nullptr);
  EXPECT_FALSE(unknown.path_known);

  auto found = router_.Match("GET", "/api/v1/users");
  EXPECT_NE(found.route, nullptr);
}

TEST_F(RouterTest, MethodsAreCaseSensitive) {
  auto lower = router_.Match("get", "/api/v1/users");
  EXPECT_EQ(lower.route, nullptr);
  EXPECT_TRUE(lower.path_known);
}

TEST_F(RouterTest, KeepsRoutesInOrderForTheRouteTable) {
  ASSERT_EQ(router_.routes().size(), 7u);
  EXPECT_EQ(router_.routes()[0].pattern, "/api/v1/users");
  EXPECT_EQ(router_.routes()[0].method, "GET");
  EXPECT_EQ(router_.routes()[3].pattern, "/api/v1/users/{id}/disable");
  EXPECT_EQ(router_.routes()[3].permission, auth::Permission::kUsersManage);
}

TEST(RouterEmptyTest, MatchesNothing) {
  Router router;
  const RouteMatch match = router.Match("GET", "/");
  EXPECT_EQ(match.route, nullptr);
  EXPECT_FALSE(match.path_known);
}

TEST(RouterRootTest, MatchesTheRootPath) {
  Router router;
  router.Add(MakeRoute("GET", "/", "root"));
  EXPECT_EQ(HandlerName(router.Match("GET", "/")), "root");
  EXPECT_EQ(router.Match("GET", "/x").route, nullptr);
}

}  // namespace
}  // namespace custos::http
