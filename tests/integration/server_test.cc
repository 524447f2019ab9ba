// The whole server on port 0 over real HTTP, on SQLite and on PostgreSQL.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <set>
#include <thread>

#include "custos/auth/totp.h"
#include "testing/http_client.h"
#include "testing/status_matchers.h"
#include "testing/test_server.h"

namespace custos::testing {
namespace {

constexpr const char* kPassword = "custos-demo-pass";

class ServerTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void Start(TestServerOptions options = {}) {
    options.backend = GetParam();
    server_ = std::make_unique<TestServer>(options);
    if (server_->skipped()) GTEST_SKIP() << "no PostgreSQL: run under tests/with_postgres.sh";
    client_ = std::make_unique<HttpClient>(server_->port());
  }
  void SetUp() override { Start(); }

  HttpClient& client() { return *client_; }
  TestServer& server() { return *server_; }
  std::string Token(const std::string& user) {
    const std::string token = server_->TokenFor(user);
    EXPECT_FALSE(token.empty()) << "login failed for " << user;
    return token;
  }
  // Audit events visible to the auditor for a filter (query string).
  Json AuditEvents(const std::string& query) {
    const HttpResult result = client().Get("/api/v1/audit/events?" + query, Token("auditor"));
    EXPECT_EQ(result.status, 200) << result.body;
    return result.JsonBody()["events"];
  }
  HttpResult CreateUser(const std::string& token, const Json& body) {
    return client().Post("/api/v1/users", body, token);
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_P(ServerTest, HealthAndSystemArePublic) {
  EXPECT_EQ(client().Get("/healthz").JsonBody()["status"], "ok");
  const Json system = client().Get("/api/v1/system").JsonBody();
  EXPECT_EQ(system["name"], "Custos");
  EXPECT_EQ(system["demo_mode"], true);
  EXPECT_EQ(system["backend"], GetParam() == TestBackend::kSqlite ? "sqlite" : "postgres");
}

TEST_P(ServerTest, LoginGivesABearerTokenAndACookie) {
  const HttpResult login =
      client().Post("/api/v1/auth/login", {{"username", "Admin"}, {"password", kPassword}});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string token = login.JsonBody()["token"];
  EXPECT_EQ(login.JsonBody()["user"]["username"], "admin");
  const std::string cookie = login.Header("set-cookie");
  EXPECT_NE(cookie.find("custos_session=" + token), std::string::npos);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);

  EXPECT_EQ(client().Get("/api/v1/auth/me", token).JsonBody()["username"], "admin");
  const HttpResult by_cookie = client().Send("GET", "/api/v1/auth/me", "",
                                             {{"Cookie", "theme=dark; custos_session=" + token}});
  EXPECT_EQ(by_cookie.status, 200);
  EXPECT_EQ(by_cookie.JsonBody()["permissions"], Json::array({"dashboard.view", "users.manage"}));
  EXPECT_EQ(AuditEvents("action=auth.login&actor=admin").size(), 1u);
}

TEST_P(ServerTest, WrongPasswordIsRefusedAndAudited) {
  const HttpResult result =
      client().Post("/api/v1/auth/login", {{"username", "coder"}, {"password", "wrong-password!"}});
  EXPECT_EQ(result.status, 401);
  EXPECT_EQ(result.ErrorCode(), "invalid_credentials");
  const HttpResult unknown =
      client().Post("/api/v1/auth/login", {{"username", "nobody"}, {"password", "whatever-it-is"}});
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.JsonBody()["error"]["message"], result.JsonBody()["error"]["message"]);
  const Json events = AuditEvents("action=auth.login_failed");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["actor_name"], "nobody");
  EXPECT_EQ(events[0]["outcome"], "failure");
  EXPECT_EQ(events[1]["actor_name"], "coder");
  EXPECT_EQ(events[1]["details"]["reason"], "wrong_password");
}

TEST_P(ServerTest, FiveFailuresLockTheAccountUntilAnAdminUnlocks) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    EXPECT_EQ(
        client()
            .Post("/api/v1/auth/login", {{"username", "coder"}, {"password", "not-the-password"}})
            .status,
        401);
  }
  const HttpResult locked =
      client().Post("/api/v1/auth/login", {{"username", "coder"}, {"password", kPassword}});
  EXPECT_EQ(locked.status, 403);
  EXPECT_EQ(locked.ErrorCode(), "account_locked");
  EXPECT_EQ(AuditEvents("action=auth.locked").size(), 1u);

  const std::string admin = Token("admin");
  const Json users = client().Get("/api/v1/users?q=coder", admin).JsonBody()["users"];
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0]["locked"], true);
  const std::string id = users[0]["id"];
  EXPECT_EQ(
      client().Post("/api/v1/users/" + id + "/unlock", Json::object(), admin).JsonBody()["locked"],
      false);
  EXPECT_FALSE(Token("coder").empty());
}

TEST_P(ServerTest, TotpSecondFactorCompletesLoginAndCodesWorkOnce) {
  const std::string token = Token("registrar");
  const HttpResult enroll = client().Post("/api/v1/auth/totp/enroll", Json::object(), token);
  ASSERT_EQ(enroll.status, 200) << enroll.body;
  const std::string secret = enroll.JsonBody()["secret"];
  EXPECT_NE(enroll.JsonBody()["qr_svg"].get<std::string>().find("<svg"), std::string::npos);
  EXPECT_EQ(client().Post("/api/v1/auth/totp/confirm", {{"code", "000000"}}, token).ErrorField(),
            "code");
  const std::string code = *auth::TotpCode(secret, server().clock().Now());
  ASSERT_EQ(client().Post("/api/v1/auth/totp/confirm", {{"code", code}}, token).status, 204);

  const HttpResult first =
      client().Post("/api/v1/auth/login", {{"username", "registrar"}, {"password", kPassword}});
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.JsonBody()["totp_required"], true);
  EXPECT_FALSE(first.JsonBody().contains("token"));
  const std::string challenge = first.JsonBody()["challenge"];
  // The confirmation used this step's code: the login needs the next step's.
  server().clock().Advance(std::chrono::seconds(30));
  const std::string next = *auth::TotpCode(secret, server().clock().Now());
  const HttpResult second =
      client().Post("/api/v1/auth/login", {{"challenge", challenge}, {"code", next}});
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_FALSE(second.JsonBody()["token"].get<std::string>().empty());
  const HttpResult replay = client().Post(
      "/api/v1/auth/login", {{"username", "registrar"}, {"password", kPassword}, {"code", next}});
  EXPECT_EQ(replay.ErrorCode(), "invalid_credentials");
}

TEST_P(ServerTest, CreatingAUserValidatesEachField) {
  const std::string admin = Token("admin");
  const Json good = {{"username", "new.coder"},
                     {"display_name", "New Coder"},
                     {"password", "a-long-enough-passphrase"},
                     {"roles", {"coder"}}};
  auto with = [&](const char* field, Json value) {
    Json body = good;
    body[field] = std::move(value);
    return CreateUser(admin, body);
  };
  EXPECT_EQ(with("password", "short").ErrorField(), "password");
  EXPECT_EQ(with("password", "new.coder-is-my-password").ErrorField(), "password");
  EXPECT_EQ(with("roles", {"wizard"}).ErrorField(), "roles");
  EXPECT_EQ(with("roles", Json::array()).ErrorField(), "roles");
  EXPECT_EQ(with("username", "x").ErrorField(), "username");
  EXPECT_EQ(with("username", "bad name!").status, 400);
  EXPECT_EQ(with("display_name", 42).ErrorField(), "display_name");
  EXPECT_EQ(client()
                .Send("POST", "/api/v1/users", "{not json", {{"Authorization", "Bearer " + admin}})
                .ErrorField(),
            "body");

  const HttpResult created = CreateUser(admin, good);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.JsonBody()["roles"], Json::array({"coder"}));
  const HttpResult duplicate = CreateUser(admin, good);
  EXPECT_EQ(duplicate.status, 409);
  EXPECT_EQ(duplicate.ErrorField(), "username");
  // Nothing was half-saved by the failed requests: one user, one audit event.
  EXPECT_EQ(client().Get("/api/v1/users?q=new.coder", admin).JsonBody()["users"].size(), 1u);
  const Json events = AuditEvents("action=user.create&object_type=user");
  size_t matching = 0;
  for (const auto& event : events) matching += event["details"]["username"] == "new.coder";
  EXPECT_EQ(matching, 1u);
  EXPECT_FALSE(Token("coder").empty());
}

TEST_P(ServerTest, DisablingAUserEndsTheirSessionsAtOnce) {
  const std::string coder = Token("coder");
  ASSERT_EQ(client().Get("/api/v1/dashboard", coder).status, 200);
  const std::string admin = Token("admin");
  const std::string id = client().Get("/api/v1/users?q=coder", admin).JsonBody()["users"][0]["id"];
  ASSERT_EQ(client().Post("/api/v1/users/" + id + "/disable", Json::object(), admin).status, 200);
  EXPECT_EQ(client().Get("/api/v1/dashboard", coder).status, 401);
  EXPECT_EQ(client()
                .Post("/api/v1/auth/login", {{"username", "coder"}, {"password", kPassword}})
                .ErrorCode(),
            "account_disabled");
  const std::string self = client().Get("/api/v1/auth/me", admin).JsonBody()["id"];
  EXPECT_EQ(client().Post("/api/v1/users/" + self + "/disable", Json::object(), admin).status, 409);
}

TEST_P(ServerTest, IdleSessionsTimeOut) {
  const std::string token = Token("clinician");
  server().clock().Advance(std::chrono::minutes(14));
  ASSERT_EQ(client().Get("/api/v1/auth/me", token).status, 200);  // activity resets the idle clock
  server().clock().Advance(std::chrono::minutes(14));
  ASSERT_EQ(client().Get("/api/v1/auth/me", token).status, 200);
  server().clock().Advance(std::chrono::minutes(16));
  const HttpResult expired = client().Get("/api/v1/auth/me", token);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.ErrorCode(), "session_expired");
}

TEST_P(ServerTest, LogoutEndsTheSessionAndClearsTheCookie) {
  const std::string token = Token("analyst");
  const HttpResult logout = client().Post("/api/v1/auth/logout", Json::object(), token);
  EXPECT_EQ(logout.status, 204);
  EXPECT_NE(logout.Header("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(client().Get("/api/v1/auth/me", token).status, 401);
}

TEST_P(ServerTest, PasswordChangeEndsOtherSessions) {
  const std::string first = Token("roi");
  const std::string second = Token("roi");
  EXPECT_EQ(client()
                .Post("/api/v1/auth/password",
                      {{"current_password", "wrong-password-here"},
                       {"new_password", "a-brand-new-passphrase"}},
                      first)
                .ErrorField(),
            "current_password");
  ASSERT_EQ(client()
                .Post("/api/v1/auth/password",
                      {{"current_password", kPassword}, {"new_password", "a-brand-new-passphrase"}},
                      first)
                .status,
            204);
  EXPECT_EQ(client().Get("/api/v1/auth/me", first).status, 200);
  EXPECT_EQ(client().Get("/api/v1/auth/me", second).status, 401);
  EXPECT_FALSE(Login(server().port(), "roi", "a-brand-new-passphrase").empty());
}

TEST_P(ServerTest, AdminResetForcesAPasswordChange) {
  const std::string admin = Token("admin");
  const std::string id =
      client().Get("/api/v1/users?q=privacy", admin).JsonBody()["users"][0]["id"];
  ASSERT_EQ(client()
                .Post("/api/v1/users/" + id + "/reset-password",
                      {{"new_password", "temporary-passphrase-1"}}, admin)
                .JsonBody()["must_change_password"],
            true);
  const std::string token = Login(server().port(), "privacy", "temporary-passphrase-1");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(client().Get("/api/v1/dashboard", token).ErrorCode(), "password_change_required");
  // FHIR clients get the same reason inside the OperationOutcome.
  const HttpResult fhir = client().Get("/fhir/Patient", token);
  EXPECT_EQ(fhir.status, 403);
  EXPECT_EQ(fhir.JsonBody()["issue"][0]["details"]["coding"][0]["code"],
            "password_change_required");
  EXPECT_EQ(client().Get("/api/v1/auth/me", token).status, 200);
  ASSERT_EQ(client()
                .Post("/api/v1/auth/password",
                      {{"current_password", "temporary-passphrase-1"},
                       {"new_password", "my-own-passphrase-2"}},
                      token)
                .status,
            204);
  EXPECT_EQ(client().Get("/api/v1/dashboard", token).status, 200);
}

// Every /api/v1 route refuses anonymous callers, and every route behind a permission refuses
// each role that lacks it: a new route cannot skip access control.
TEST_P(ServerTest, EveryRouteRefusesAnonymousCallersAndRolesWithoutThePermission) {
  std::map<std::string, std::string> tokens;
  for (const auto& demo : server::DemoUsers())
    tokens[std::string(demo.role)] = Token(std::string(demo.username));
  int checked = 0;
  for (const http::Route& route : server().server().router().routes()) {
    const bool fhir = route.pattern.starts_with("/fhir/");
    if ((!route.pattern.starts_with("/api/v1/") && !fhir) || route.access == http::Access::kPublic)
      continue;
    std::string path = route.pattern;
    for (size_t open = path.find('{'); open != std::string::npos; open = path.find('{')) {
      path.replace(open, path.find('}', open) - open + 1, "01NOSUCHID0000000000000000");
    }
    const std::string body = route.method == "GET" ? "" : "{}";
    EXPECT_EQ(client().Send(route.method, path, body).status, 401)
        << route.method << " " << route.pattern;
    ++checked;
    if (route.access != http::Access::kPermission) continue;
    for (const auto& role : auth::AllRoles()) {
      if (std::find(role.permissions.begin(), role.permissions.end(), *route.permission) !=
          role.permissions.end()) {
        continue;
      }
      if (!tokens.count(std::string(role.name))) continue;
      const HttpResult result =
          client().Send(route.method, path, body,
                        {{"Authorization", "Bearer " + tokens[std::string(role.name)]}});
      EXPECT_EQ(result.status, 403) << role.name << " " << route.method << " " << route.pattern;
      if (fhir) {
        EXPECT_EQ(result.JsonBody()["resourceType"], "OperationOutcome") << route.pattern;
      } else {
        EXPECT_EQ(result.ErrorCode(), "permission_denied");
      }
    }
  }
  EXPECT_GT(checked, 15);
}

TEST_P(ServerTest, OpenApiDescribesEveryRoute) {
  const Json doc = client().Get("/api/v1/openapi.json").JsonBody();
  EXPECT_EQ(doc["openapi"], "3.0.3");
  for (const http::Route& route : server().server().router().routes()) {
    std::string method = route.method;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ASSERT_TRUE(doc["paths"].contains(route.pattern)) << route.pattern;
    const Json& operation = doc["paths"][route.pattern][method];
    EXPECT_FALSE(operation.value("summary", "").empty()) << route.method << " " << route.pattern;
    if (route.access == http::Access::kPermission) {
      EXPECT_EQ(operation["x-custos-permission"], auth::PermissionName(*route.permission));
    }
  }
}

TEST_P(ServerTest, AuditorsSearchPageExportAndVerifyTheTrail) {
  const std::string auditor = Token("auditor");
  for (int i = 0; i < 5; ++i)
    client().Post("/api/v1/auth/login", {{"username", "ghost"}, {"password", "x-y-z-w-v-u"}});
  const Json first =
      client().Get("/api/v1/audit/events?action=auth.login_failed&limit=2", auditor).JsonBody();
  ASSERT_EQ(first["events"].size(), 2u);
  const std::string cursor = first["next_cursor"];
  const Json second =
      client()
          .Get("/api/v1/audit/events?action=auth.login_failed&limit=2&cursor=" + cursor, auditor)
          .JsonBody();
  ASSERT_EQ(second["events"].size(), 2u);
  EXPECT_LT(second["events"][0]["sequence"].get<int>(), first["events"][1]["sequence"].get<int>());
  EXPECT_EQ(client().Get("/api/v1/audit/events?from=yesterday", auditor).ErrorField(), "from");
  EXPECT_EQ(client().Get("/api/v1/audit/events?limit=9999", auditor).ErrorField(), "limit");

  const HttpResult csv = client().Get("/api/v1/audit/events.csv?action=auth.login_failed", auditor);
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(csv.Header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 6);  // header + 5 events

  const Json verify = client().Get("/api/v1/audit/verify", auditor).JsonBody();
  EXPECT_EQ(verify["ok"], true);
  EXPECT_GT(verify["events_checked"].get<int>(), 10);
  // Looking at the trail is itself on the trail.
  EXPECT_GE(AuditEvents("action=audit.query&actor=auditor").size(), 2u);
  EXPECT_EQ(AuditEvents("action=audit.export").size(), 1u);
}

TEST_P(ServerTest, DashboardShowsWhatTheRoleMaySee) {
  const Json admin = client().Get("/api/v1/dashboard", Token("admin")).JsonBody()["counts"];
  EXPECT_EQ(admin["users_active"], 8);
  EXPECT_TRUE(admin.contains("failed_logins_24h"));
  EXPECT_FALSE(admin.contains("audit_events_total"));
  const Json auditor = client().Get("/api/v1/dashboard", Token("auditor")).JsonBody()["counts"];
  EXPECT_GT(auditor["audit_events_total"].get<int>(), 8);
  EXPECT_FALSE(auditor.contains("failed_logins_24h"));
}

TEST_P(ServerTest, OversizedHeadersAndBodiesGet431And413) {
  const HttpResult big_header =
      client().Send("GET", "/healthz", "", {{"X-Padding", std::string(9000, 'a')}});
  EXPECT_EQ(big_header.status, 431);
  EXPECT_EQ(big_header.ErrorCode(), "headers_too_large");
  HttpClient other(server().port());
  const HttpResult big_body = other.Send("POST", "/api/v1/auth/login", std::string(1100000, ' '));
  EXPECT_EQ(big_body.status, 413);
  EXPECT_EQ(big_body.ErrorCode(), "payload_too_large");
}

TEST_P(ServerTest, UnknownRoutesAndMethodsAnswerJsonErrors) {
  EXPECT_EQ(client().Get("/api/v1/nothing-here").ErrorCode(), "not_found");
  const HttpResult wrong_method = client().Send("DELETE", "/api/v1/auth/me");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.ErrorCode(), "method_not_allowed");
}

TEST_P(ServerTest, RequestIdsAreEchoedOrMade) {
  EXPECT_EQ(
      client().Send("GET", "/healthz", "", {{"X-Request-Id", "trace-123"}}).Header("x-request-id"),
      "trace-123");
  EXPECT_EQ(client()
                .Send("GET", "/healthz", "", {{"X-Request-Id", "not/a sane:id"}})
                .Header("x-request-id")
                .size(),
            16u);
}

TEST_P(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(client().Get("/healthz").status, 200);
  EXPECT_EQ(client().connects(), 1);
}

TEST_P(ServerTest, LargeResponsesAreGzipped) {
  const HttpResult plain = client().Get("/api/v1/openapi.json");
  const HttpResult zipped =
      client().Send("GET", "/api/v1/openapi.json", "", {{"Accept-Encoding", "gzip, br"}});
  EXPECT_EQ(zipped.Header("content-encoding"), "gzip");
  EXPECT_LT(zipped.body.size(), plain.body.size() / 2);
  std::string inflated(plain.body.size(), '\0');
  z_stream stream{};
  ASSERT_EQ(inflateInit2(&stream, 31), Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zipped.body.data()));
  stream.avail_in = static_cast<uInt>(zipped.body.size());
  stream.next_out = reinterpret_cast<Bytef*>(inflated.data());
  stream.avail_out = static_cast<uInt>(inflated.size());
  EXPECT_EQ(inflate(&stream, Z_FINISH), Z_STREAM_END);
  inflateEnd(&stream);
  EXPECT_EQ(inflated, plain.body);
}

TEST_P(ServerTest, MetricsCountRequestsPerRoute) {
  client().Get("/api/v1/auth/me", Token("coder"));
  const HttpResult metrics = client().Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("custos_http_requests_total{"), std::string::npos);
  EXPECT_NE(metrics.body.find("route=\"/api/v1/auth/me\""), std::string::npos);
  EXPECT_NE(metrics.body.find("custos_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics.body.find("custos_audit_chain_length"), std::string::npos);
  EXPECT_NE(metrics.body.find("custos_db_connections_open"), std::string::npos);
}

TEST_P(ServerTest, CrossOriginCookieWritesAreRefused) {
  const std::string token = Token("coder");
  const HttpResult result =
      client().Send("POST", "/api/v1/auth/logout", "{}",
                    {{"Cookie", "custos_session=" + token}, {"Origin", "https://evil.example"}});
  EXPECT_EQ(result.status, 403);
  EXPECT_EQ(client().Get("/api/v1/auth/me", token).status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServerTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) {
                           return info.param == TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

// Behaviour that does not depend on the backend.
TEST(ServerLimitsTest, SlowClientsAreCutOffWithoutHoldingUpOthers) {
  TestServer server(
      {.settings = {{"http.read_timeout_seconds", "1"}, {"http.idle_timeout_seconds", "1"}}});
  HttpClient slow(server.port());
  // Half a request, then silence: the server must drop it after the timeout.
  const std::string answer = slow.SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n", 5000);
  EXPECT_EQ(answer, "");
  HttpClient other(server.port());
  EXPECT_EQ(other.Get("/healthz").status, 200);
  EXPECT_TRUE(other.ServerClosed(5000));  // idle keep-alive connections close too
}

TEST(ServerLimitsTest, AdminsMustEnrolASecondFactorWhenRequired) {
  TestServer server({.demo = false});
  HttpClient client(server.port());
  const std::string token = server.TokenFor("admin");
  ASSERT_FALSE(token.empty());
  EXPECT_EQ(client.Get("/api/v1/auth/me", token).JsonBody()["totp_required"], true);
  EXPECT_EQ(client.Get("/api/v1/users", token).ErrorCode(), "totp_enrollment_required");
  const std::string secret =
      client.Post("/api/v1/auth/totp/enroll", Json::object(), token).JsonBody()["secret"];
  ASSERT_EQ(client
                .Post("/api/v1/auth/totp/confirm",
                      {{"code", *auth::TotpCode(secret, server.clock().Now())}}, token)
                .status,
            204);
  EXPECT_EQ(client.Get("/api/v1/users", token).status, 200);
}

TEST(ServerLimitsTest, ServesTheWebAppWithCacheHeadersAndRouteFallback) {
  TempDir web;
  std::filesystem::create_directories(web.path() / "assets");
  std::ofstream(web.File("index.html")) << "<!doctype html><title>Custos</title>";
  std::ofstream(web.File("assets/app-1234.js")) << std::string(4096, 'x');
  TestServer server({.web_dir = web.path().string()});
  HttpClient client(server.port());
  const HttpResult index = client.Get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.Header("cache-control"), "no-cache");
  EXPECT_NE(index.Header("content-security-policy").find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(client.Get("/patients/123").body, index.body);  // the app routes in the browser
  const HttpResult asset =
      client.Send("GET", "/assets/app-1234.js", "", {{"Accept-Encoding", "gzip"}});
  EXPECT_EQ(asset.Header("cache-control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(asset.Header("content-encoding"), "gzip");
  EXPECT_EQ(client.Get("/assets/missing.js").status, 404);
  EXPECT_EQ(client.Send("GET", "/", "", {{"If-None-Match", index.Header("etag")}}).status, 304);
}

TEST(ServerLimitsTest, GracefulStopFinishesAndWritesACheckpoint) {
  TestServer server;
  HttpClient client(server.port());
  EXPECT_EQ(client.Get("/healthz").status, 200);  // an idle keep-alive connection stays open
  const std::string anchors = server.runtime().anchor_file();
  server.Stop();  // must not wait for the idle connection's timeout
  EXPECT_TRUE(client.ServerClosed(1000));
  std::ifstream in(anchors);
  std::string line, last;
  while (std::getline(in, line)) last = line;
  EXPECT_NE(last.find("\"seq\":8"), std::string::npos) << last;  // 8 demo users created
}

}  // namespace
}  // namespace custos::testing
