// Router: the table of every route the HTTP server answers, with what each needs.
//
// Each route names its access rule — public, any logged-in user, or one Permission — so that
// authentication and authorisation happen in one place (Api) before a handler runs, and a test
// can walk the table to prove that every /api/v1 route refuses anonymous callers (401) and
// roles without its permission (403). Patterns are literal segments and `{name}` parameters:
// "/api/v1/users/{id}/disable".
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custos/auth/permissions.h"
#include "custos/core/json.h"
#include "custos/core/request_context.h"
#include "custos/core/status.h"
#include "custos/http/request.h"

namespace custos::http {

enum class Access {
  kPublic,         // no session needed (login, health, the OpenAPI document)
  kAuthenticated,  // any logged-in user
  kPermission,     // a logged-in user whose roles grant `permission`
};

using Handler = std::function<Result<Response>(const Request&, const RequestContext&)>;

struct Route {
  std::string method;
  std::string pattern;
  Access access = Access::kPermission;
  std::optional<auth::Permission> permission;
  // Sessions that must first enrol a second factor or change a password may call it.
  bool allowed_while_restricted = false;
  // The handler does no blocking work once the caller's session is in memory, so the I/O thread
  // may answer it without a trip to the worker pool.
  bool non_blocking = false;
  // Described in the OpenAPI document.
  std::string summary;
  std::string tag;
  Json request_schema;                    // null when the route takes no body
  Json query_parameters = Json::array();  // [{"name":…, "description":…}]
  Handler handler;
};

struct RouteMatch {
  const Route* route = nullptr;
  std::vector<std::pair<std::string, std::string>> params;
  bool path_known = false;  // the path matched some route but not with this method (405)
};

class Router {
 public:
  // CUSTOS_CHECKs that the route is well-formed and not a duplicate.
  void Add(Route route);
  RouteMatch Match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace custos::http
