#include "custos/http/handlers.h"

#include <charconv>
#include <memory>
#include <mutex>

#include "custos/http/openapi.h"

namespace custos::http {

namespace {

using auth::Permission;

Json RoleNames(const std::vector<auth::Role>& roles) {
  Json names = Json::array();
  for (auth::Role role : roles) names.push_back(auth::RoleName(role));
  return names;
}

Json UserJson(const auth::User& user) {
  return {{"id", user.id},
          {"username", user.username},
          {"display_name", user.display_name},
          {"roles", RoleNames(user.roles)},
          {"disabled", user.disabled},
          {"locked", user.locked},
          {"totp_enabled", user.totp_enabled},
          {"must_change_password", user.must_change_password},
          {"created_at", user.created_at},
          {"last_login_at", user.last_login_at ? Json(*user.last_login_at) : Json(nullptr)}};
}

Json MeJson(const auth::User& user, const ServerInfo& info) {
  Json me = UserJson(user);
  Json permissions = Json::array();
  const std::uint64_t bits = auth::PermissionBits(user.roles);
  for (const auto& permission : auth::AllPermissions()) {
    if (bits & auth::Bit(permission.permission)) permissions.push_back(permission.name);
  }
  me["permissions"] = permissions;
  const bool is_admin =
      std::find(user.roles.begin(), user.roles.end(), auth::Role::kAdmin) != user.roles.end();
  me["totp_required"] = is_admin && info.require_admin_totp;
  me["idle_timeout_seconds"] = info.idle_timeout_seconds;
  return me;
}

Result<Json> Body(const Request& request) { return ParseJsonObject(request.body); }

Result<audit::AuditFilter> AuditFilterFrom(const Request& request) {
  audit::AuditFilter filter;
  auto text = [&](std::string_view name) -> std::optional<std::string> {
    auto value = request.QueryParam(name);
    if (value && value->empty()) return std::nullopt;
    return value;
  };
  filter.actor_name = text("actor");
  filter.patient_id = text("patient");
  filter.action = text("action");
  filter.object_type = text("object_type");
  filter.object_id = text("object_id");
  filter.outcome = text("outcome");
  for (const char* bound : {"from", "to"}) {
    if (auto value = text(bound)) {
      auto parsed = ParseTimestamp(*value);
      if (!parsed) {
        return Status::InvalidArgument(std::string(bound) + " must be a date or an RFC 3339 time",
                                       bound);
      }
      (std::string_view(bound) == "from" ? filter.from : filter.to) = parsed;
    }
  }
  CUSTOS_ASSIGN_OR_RETURN(filter.limit, request.IntQueryParam("limit", 50, 1, 500));
  if (auto cursor = text("cursor")) {
    std::int64_t value = 0;
    const auto [ptr, error] =
        std::from_chars(cursor->data(), cursor->data() + cursor->size(), value);
    if (error != std::errc() || ptr != cursor->data() + cursor->size() || value < 1) {
      return Status::InvalidArgument("cursor is not one this server gave out", "cursor");
    }
    filter.before_sequence = value;
  }
  return filter;
}

Json AuditQueryParameters() {
  return Json::array(
      {{{"name", "actor"}, {"description", "username of the actor"}},
       {{"name", "patient"}, {"description", "patient id"}},
       {{"name", "action"}, {"description", "e.g. user.create"}},
       {{"name", "object_type"}, {"description", "e.g. user"}},
       {{"name", "object_id"}, {"description", "id of the object"}},
       {{"name", "outcome"}, {"description", "success or failure"}},
       {{"name", "from"}, {"description", "inclusive lower bound, RFC 3339 or a date"}},
       {{"name", "to"}, {"description", "exclusive upper bound, RFC 3339 or a date"}},
       {{"name", "limit"}, {"description", "page size, 1-500 (default 50)"}},
       {{"name", "cursor"}, {"description", "next_cursor of the previous page"}}});
}

Json ObjectSchema(std::initializer_list<std::pair<const char*, const char*>> properties,
                  std::initializer_list<const char*> required) {
  Json schema = {{"type", "object"}, {"properties", Json::object()}};
  for (const auto& [name, type] : properties) {
    if (std::string_view(type) == "string[]") {
      schema["properties"][name] = {{"type", "array"}, {"items", {{"type", "string"}}}};
    } else {
      schema["properties"][name] = {{"type", type}};
    }
  }
  if (required.size() > 0) schema["required"] = Json::array();
  for (const char* name : required) schema["required"].push_back(name);
  return schema;
}

Route MakeRoute(std::string method, std::string pattern, Access access,
                std::optional<Permission> permission, std::string tag, std::string summary,
                Handler handler);

// A route whose handler never blocks (see Route::non_blocking).
Route MakeNonBlockingRoute(std::string method, std::string pattern, Access access,
                           std::optional<Permission> permission, std::string tag,
                           std::string summary, Handler handler) {
  Route route = MakeRoute(std::move(method), std::move(pattern), access, permission, std::move(tag),
                          std::move(summary), std::move(handler));
  route.non_blocking = true;
  return route;
}

Route MakeRoute(std::string method, std::string pattern, Access access,
                std::optional<Permission> permission, std::string tag, std::string summary,
                Handler handler) {
  Route route;
  route.method = std::move(method);
  route.pattern = std::move(pattern);
  route.access = access;
  route.permission = permission;
  route.tag = std::move(tag);
  route.summary = std::move(summary);
  route.handler = std::move(handler);
  return route;
}

// A route under users.manage that acts on one user and returns it.
Route UserAction(
    std::string pattern, std::string summary,
    std::function<Result<auth::User>(const Request&, const RequestContext&, const std::string&)>
        act) {
  return MakeRoute("POST", std::move(pattern), Access::kPermission, Permission::kUsersManage,
                   "users", std::move(summary),
                   [act = std::move(act)](const Request& request,
                                          const RequestContext& context) -> Result<Response> {
                     CUSTOS_ASSIGN_OR_RETURN(
                         auth::User user,
                         act(request, context, std::string(request.PathParam("id"))));
                     return Response::FromJson(200, UserJson(user));
                   });
}

void AddOperationalRoutes(Api& api, ApiServices& s) {
  api.router().Add(
      MakeNonBlockingRoute("GET", "/healthz", Access::kPublic, std::nullopt, "system",
                           "Liveness: answers while the server runs",
                           [](const Request&, const RequestContext&) -> Result<Response> {
                             return Response::FromJson(200, {{"status", "ok"}});
                           }));
  api.router().Add(MakeRoute(
      "GET", "/metrics", Access::kPublic, std::nullopt, "system",
      "Prometheus metrics (text exposition format)",
      [&s](const Request&, const RequestContext&) -> Result<Response> {
        const storage::DatabaseStats stats = s.database.Stats();
        s.metrics.SetGauge("custos_db_connections_open", "Database connections open",
                           stats.connections_open);
        s.metrics.SetGauge("custos_db_connections_in_use", "Database connections in use",
                           stats.connections_in_use);
        s.metrics.SetGauge("custos_db_transactions_started_total", "Transactions started",
                           static_cast<double>(stats.transactions_started));
        s.metrics.SetGauge("custos_db_transactions_committed_total", "Transactions committed",
                           static_cast<double>(stats.transactions_committed));
        CUSTOS_ASSIGN_OR_RETURN(auto tx, s.database.Begin(storage::TransactionMode::kReadOnly));
        CUSTOS_ASSIGN_OR_RETURN(const std::int64_t chain, audit::AuditTrail::Length(*tx));
        s.metrics.SetGauge("custos_audit_chain_length", "Events in the audit trail",
                           static_cast<double>(chain));
        Response response;
        response.content_type = "text/plain; version=0.0.4; charset=utf-8";
        response.body = s.metrics.Render();
        return response;
      }));
  if (s.info.bench_routes) {
    api.router().Add(
        MakeNonBlockingRoute("GET", "/bench/hello", Access::kPublic, std::nullopt, "system",
                             "Hello world: the yardstick for throughput benchmarks",
                             [](const Request&, const RequestContext&) -> Result<Response> {
                               return Response::FromJson(200, {{"hello", "world"}});
                             }));
  }
  api.router().Add(
      MakeNonBlockingRoute("GET", "/api/v1/system", Access::kPublic, std::nullopt, "system",
                           "Name, version and mode of this server",
                           [&s](const Request&, const RequestContext&) -> Result<Response> {
                             return Response::FromJson(200, {{"name", "Custos"},
                                                             {"version", s.info.version},
                                                             {"demo_mode", s.info.demo_mode},
                                                             {"backend", s.info.backend}});
                           }));
  auto openapi = std::make_shared<std::string>();
  auto once = std::make_shared<std::once_flag>();
  Api* api_pointer = &api;
  api.router().Add(MakeNonBlockingRoute(
      "GET", "/api/v1/openapi.json", Access::kPublic, std::nullopt, "system",
      "This API as an OpenAPI 3 document",
      [&s, openapi, once, api_pointer](const Request&, const RequestContext&) -> Result<Response> {
        std::call_once(
            *once, [&] { *openapi = BuildOpenApi(api_pointer->router(), s.info.version).dump(); });
        Response response;
        response.body = *openapi;
        return response;
      }));
}

void AddAuthRoutes(Api& api, ApiServices& s) {
  Route login = MakeRoute(
      "POST", "/api/v1/auth/login", Access::kPublic, std::nullopt, "auth",
      "Log in with username and password; with a second factor, a second call with the code",
      [&s, &api](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(Json body, Body(request));
        auth::LoginRequest login;
        CUSTOS_ASSIGN_OR_RETURN(login.username, OptionalString(body, "username"));
        CUSTOS_ASSIGN_OR_RETURN(login.password, OptionalString(body, "password"));
        CUSTOS_ASSIGN_OR_RETURN(login.code, OptionalString(body, "code"));
        CUSTOS_ASSIGN_OR_RETURN(login.challenge, OptionalString(body, "challenge"));
        CUSTOS_ASSIGN_OR_RETURN(auth::LoginResult result, s.accounts.Login(login, context));
        if (result.totp_challenge) {
          return Response::FromJson(
              200, {{"totp_required", true}, {"challenge", *result.totp_challenge}});
        }
        Response response =
            Response::FromJson(200, {{"token", *result.token},
                                     {"expires_in", s.info.session_lifetime_seconds},
                                     {"user", MeJson(*result.user, s.info)}});
        response.SetHeader("Set-Cookie",
                           api.SessionCookie(*result.token, s.info.session_lifetime_seconds));
        return response;
      });
  login.request_schema = ObjectSchema(
      {{"username", "string"}, {"password", "string"}, {"code", "string"}, {"challenge", "string"}},
      {});
  api.router().Add(std::move(login));

  Route logout =
      MakeRoute("POST", "/api/v1/auth/logout", Access::kAuthenticated, std::nullopt, "auth",
                "End the current session",
                [&s, &api](const Request&, const RequestContext& context) -> Result<Response> {
                  CUSTOS_RETURN_IF_ERROR(s.accounts.Logout(context));
                  Response response = Response::NoContent();
                  response.SetHeader("Set-Cookie", api.SessionCookie("", 0));
                  return response;
                });
  logout.allowed_while_restricted = true;
  api.router().Add(std::move(logout));

  Route me = MakeRoute("GET", "/api/v1/auth/me", Access::kAuthenticated, std::nullopt, "auth",
                       "The logged-in user, roles and permissions",
                       [&s](const Request&, const RequestContext& context) -> Result<Response> {
                         CUSTOS_ASSIGN_OR_RETURN(auth::User user, s.accounts.Me(context));
                         return Response::FromJson(200, MeJson(user, s.info));
                       });
  me.allowed_while_restricted = true;
  me.non_blocking = true;  // Accounts::Me answers from the session just validated
  api.router().Add(std::move(me));

  Route password = MakeRoute(
      "POST", "/api/v1/auth/password", Access::kAuthenticated, std::nullopt, "auth",
      "Change your own password (other sessions end)",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(Json body, Body(request));
        CUSTOS_ASSIGN_OR_RETURN(std::string current, RequiredString(body, "current_password"));
        CUSTOS_ASSIGN_OR_RETURN(std::string next, RequiredString(body, "new_password"));
        CUSTOS_RETURN_IF_ERROR(s.accounts.ChangeOwnPassword(context, current, next));
        return Response::NoContent();
      });
  password.allowed_while_restricted = true;
  password.request_schema =
      ObjectSchema({{"current_password", "string"}, {"new_password", "string"}},
                   {"current_password", "new_password"});
  api.router().Add(std::move(password));

  Route enroll =
      MakeRoute("POST", "/api/v1/auth/totp/enroll", Access::kAuthenticated, std::nullopt, "auth",
                "Start setting up a second factor: secret and QR code",
                [&s](const Request&, const RequestContext& context) -> Result<Response> {
                  CUSTOS_ASSIGN_OR_RETURN(auth::TotpEnrollment enrollment,
                                          s.accounts.BeginTotpEnrollment(context));
                  return Response::FromJson(200, {{"secret", enrollment.secret},
                                                  {"otpauth_uri", enrollment.otpauth_uri},
                                                  {"qr_svg", enrollment.qr_svg}});
                });
  enroll.allowed_while_restricted = true;
  api.router().Add(std::move(enroll));

  Route confirm =
      MakeRoute("POST", "/api/v1/auth/totp/confirm", Access::kAuthenticated, std::nullopt, "auth",
                "Finish setting up the second factor with a code from the app",
                [&s](const Request& request, const RequestContext& context) -> Result<Response> {
                  CUSTOS_ASSIGN_OR_RETURN(Json body, Body(request));
                  CUSTOS_ASSIGN_OR_RETURN(std::string code, RequiredString(body, "code"));
                  CUSTOS_RETURN_IF_ERROR(s.accounts.ConfirmTotp(context, code));
                  return Response::NoContent();
                });
  confirm.allowed_while_restricted = true;
  confirm.request_schema = ObjectSchema({{"code", "string"}}, {"code"});
  api.router().Add(std::move(confirm));
}

void AddUserRoutes(Api& api, ApiServices& s) {
  Route list = MakeRoute(
      "GET", "/api/v1/users", Access::kPermission, Permission::kUsersManage, "users",
      "List users (search by username or name)",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(int limit, request.IntQueryParam("limit", 50, 1, 500));
        CUSTOS_ASSIGN_OR_RETURN(
            auth::UserPage page,
            s.accounts.ListUsers(context, request.QueryParam("q").value_or(""), limit,
                                 request.QueryParam("cursor").value_or("")));
        Json users = Json::array();
        for (const auto& user : page.users) users.push_back(UserJson(user));
        return Response::FromJson(
            200, {{"users", users},
                  {"next_cursor", page.next_cursor ? Json(*page.next_cursor) : Json(nullptr)}});
      });
  list.query_parameters =
      Json::array({{{"name", "q"}, {"description", "part of a username or name"}},
                   {{"name", "limit"}, {"description", "page size, 1-500"}},
                   {{"name", "cursor"}, {"description", "next_cursor of the previous page"}}});
  api.router().Add(std::move(list));

  Route create = MakeRoute(
      "POST", "/api/v1/users", Access::kPermission, Permission::kUsersManage, "users",
      "Create a user",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(Json body, Body(request));
        auth::NewUser user;
        CUSTOS_ASSIGN_OR_RETURN(user.username, RequiredString(body, "username"));
        CUSTOS_ASSIGN_OR_RETURN(user.display_name, RequiredString(body, "display_name"));
        CUSTOS_ASSIGN_OR_RETURN(user.password, RequiredString(body, "password"));
        CUSTOS_ASSIGN_OR_RETURN(auto roles, OptionalStringArray(body, "roles"));
        if (!roles) return Status::InvalidArgument("roles is required", "roles");
        user.roles = *roles;
        CUSTOS_ASSIGN_OR_RETURN(auto must_change, OptionalBool(body, "must_change_password"));
        user.must_change_password = must_change.value_or(false);
        CUSTOS_ASSIGN_OR_RETURN(auth::User created, s.accounts.CreateUser(context, user));
        Response response = Response::FromJson(201, UserJson(created));
        response.SetHeader("Location", "/api/v1/users/" + created.id);
        return response;
      });
  create.request_schema = ObjectSchema({{"username", "string"},
                                        {"display_name", "string"},
                                        {"password", "string"},
                                        {"roles", "string[]"},
                                        {"must_change_password", "boolean"}},
                                       {"username", "display_name", "password", "roles"});
  api.router().Add(std::move(create));

  api.router().Add(MakeRoute(
      "GET", "/api/v1/users/{id}", Access::kPermission, Permission::kUsersManage, "users",
      "One user", [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(auth::User user,
                                s.accounts.GetUser(context, std::string(request.PathParam("id"))));
        return Response::FromJson(200, UserJson(user));
      }));

  Route update = MakeRoute(
      "PATCH", "/api/v1/users/{id}", Access::kPermission, Permission::kUsersManage, "users",
      "Change a user's display name or roles",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(Json body, Body(request));
        auth::UserChanges changes;
        CUSTOS_ASSIGN_OR_RETURN(changes.display_name, OptionalString(body, "display_name"));
        CUSTOS_ASSIGN_OR_RETURN(changes.roles, OptionalStringArray(body, "roles"));
        CUSTOS_ASSIGN_OR_RETURN(
            auth::User user,
            s.accounts.UpdateUser(context, std::string(request.PathParam("id")), changes));
        return Response::FromJson(200, UserJson(user));
      });
  update.request_schema = ObjectSchema({{"display_name", "string"}, {"roles", "string[]"}}, {});
  api.router().Add(std::move(update));

  api.router().Add(UserAction("/api/v1/users/{id}/disable",
                              "Disable a user; their sessions end at once",
                              [&s](const Request&, const RequestContext& c, const std::string& id) {
                                return s.accounts.DisableUser(c, id);
                              }));
  api.router().Add(UserAction("/api/v1/users/{id}/enable", "Enable a disabled user",
                              [&s](const Request&, const RequestContext& c, const std::string& id) {
                                return s.accounts.EnableUser(c, id);
                              }));
  api.router().Add(UserAction("/api/v1/users/{id}/unlock", "Clear a lockout after failed logins",
                              [&s](const Request&, const RequestContext& c, const std::string& id) {
                                return s.accounts.UnlockUser(c, id);
                              }));
  Route reset = UserAction("/api/v1/users/{id}/reset-password",
                           "Set a new password; the user must change it at next login",
                           [&s](const Request& request, const RequestContext& c,
                                const std::string& id) -> Result<auth::User> {
                             CUSTOS_ASSIGN_OR_RETURN(Json body, Body(request));
                             CUSTOS_ASSIGN_OR_RETURN(std::string password,
                                                     RequiredString(body, "new_password"));
                             return s.accounts.ResetPassword(c, id, password);
                           });
  reset.request_schema = ObjectSchema({{"new_password", "string"}}, {"new_password"});
  api.router().Add(std::move(reset));
  api.router().Add(UserAction("/api/v1/users/{id}/reset-totp", "Remove a user's second factor",
                              [&s](const Request&, const RequestContext& c, const std::string& id) {
                                return s.accounts.ResetTotp(c, id);
                              }));

  api.router().Add(
      MakeRoute("GET", "/api/v1/roles", Access::kPermission, Permission::kUsersManage, "users",
                "The roles and the permissions each grants",
                [](const Request&, const RequestContext&) -> Result<Response> {
                  Json roles = Json::array();
                  for (const auto& role : auth::AllRoles()) {
                    Json permissions = Json::array();
                    for (auto p : role.permissions) permissions.push_back(auth::PermissionName(p));
                    roles.push_back({{"name", role.name},
                                     {"description", role.description},
                                     {"permissions", permissions}});
                  }
                  Json permissions = Json::array();
                  for (const auto& p : auth::AllPermissions()) {
                    permissions.push_back({{"name", p.name}, {"description", p.description}});
                  }
                  return Response::FromJson(200, {{"roles", roles}, {"permissions", permissions}});
                }));
}

void AddAuditRoutes(Api& api, ApiServices& s) {
  Route events = MakeRoute(
      "GET", "/api/v1/audit/events", Access::kPermission, Permission::kAuditRead, "audit",
      "Search the audit trail, newest first",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(audit::AuditFilter filter, AuditFilterFrom(request));
        CUSTOS_ASSIGN_OR_RETURN(audit::AuditPage page, s.audit_review.Search(context, filter));
        Json list = Json::array();
        for (const auto& event : page.events) list.push_back(event.ToJson());
        return Response::FromJson(
            200, {{"events", list},
                  {"next_cursor", page.next_before_sequence
                                      ? Json(std::to_string(*page.next_before_sequence))
                                      : Json(nullptr)}});
      });
  events.query_parameters = AuditQueryParameters();
  api.router().Add(std::move(events));

  Route csv = MakeRoute(
      "GET", "/api/v1/audit/events.csv", Access::kPermission, Permission::kAuditRead, "audit",
      "Export matching audit events as CSV",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(audit::AuditFilter filter, AuditFilterFrom(request));
        CUSTOS_ASSIGN_OR_RETURN(std::string body, s.audit_review.ExportCsv(context, filter));
        Response response;
        response.content_type = "text/csv; charset=utf-8";
        response.body = std::move(body);
        response.SetHeader("Content-Disposition", "attachment; filename=\"custos-audit.csv\"");
        return response;
      });
  csv.query_parameters = AuditQueryParameters();
  api.router().Add(std::move(csv));

  api.router().Add(MakeRoute(
      "GET", "/api/v1/audit/verify", Access::kPermission, Permission::kAuditRead, "audit",
      "Verify the hash chain and signed checkpoints",
      [&s](const Request&, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(audit::VerifyReport report, s.audit_review.Verify(context));
        Json body = {{"ok", report.ok},
                     {"events_checked", report.events_checked},
                     {"checkpoints_checked", report.checkpoints_checked},
                     {"last_sequence", report.last_sequence}};
        if (report.first_bad_sequence) {
          body["first_bad_sequence"] = *report.first_bad_sequence;
          body["problem"] = report.problem;
        }
        return Response::FromJson(200, body);
      }));
}

void AddDashboardRoutes(Api& api, ApiServices& s) {
  api.router().Add(MakeRoute(
      "GET", "/api/v1/dashboard", Access::kPermission, Permission::kDashboardView, "dashboard",
      "Counts for the department dashboard (what the caller may see)",
      [&s](const Request&, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(auth::AccountCounts accounts, s.accounts.Counts(context));
        Json counts = {{"users_active", accounts.users_active},
                       {"sessions_active", accounts.sessions_active}};
        if (auth::Has(context, Permission::kUsersManage)) {
          counts["users_disabled"] = accounts.users_disabled;
          counts["users_locked"] = accounts.users_locked;
          counts["failed_logins_24h"] = accounts.failed_logins_24h;
        }
        if (auth::Has(context, Permission::kAuditRead)) {
          CUSTOS_ASSIGN_OR_RETURN(auth::AuditCounts audit, s.audit_review.Counts(context));
          counts["audit_events_total"] = audit.audit_events_total;
          counts["audit_events_24h"] = audit.audit_events_24h;
        }
        return Response::FromJson(200, {{"counts", counts}});
      }));
}

}  // namespace

void AddRoutes(Api& api, ApiServices& services) {
  AddOperationalRoutes(api, services);
  AddAuthRoutes(api, services);
  AddUserRoutes(api, services);
  AddAuditRoutes(api, services);
  AddDashboardRoutes(api, services);
}

}  // namespace custos::http
