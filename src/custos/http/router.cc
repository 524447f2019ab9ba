#include "custos/http/router.h"

#include <algorithm>

namespace custos::http {

namespace {

// Matches `path` against `pattern` segment by segment, without allocating unless it matches.
bool MatchPattern(std::string_view pattern, std::string_view path,
                  std::vector<std::pair<std::string, std::string>>& params) {
  size_t params_before = params.size();
  size_t p = 0;
  size_t q = 0;
  while (true) {
    const size_t p_end = std::min(pattern.find('/', p + 1), pattern.size());
    const size_t q_end = std::min(path.find('/', q + 1), path.size());
    const std::string_view want = pattern.substr(p, p_end - p);  // "/segment"
    const std::string_view have = path.substr(q, q_end - q);
    if (want.size() > 3 && want[1] == '{' && want.back() == '}') {
      if (have.size() < 2) {
        params.resize(params_before);
        return false;
      }
      params.emplace_back(std::string(want.substr(2, want.size() - 3)),
                          std::string(have.substr(1)));
    } else if (want != have) {
      params.resize(params_before);
      return false;
    }
    p = p_end;
    q = q_end;
    if (p == pattern.size() || q == path.size()) break;
  }
  if (p == pattern.size() && q == path.size()) return true;
  params.resize(params_before);
  return false;
}

}  // namespace

void Router::Add(Route route) {
  CUSTOS_CHECK(route.pattern.starts_with("/"));
  CUSTOS_CHECK(route.handler != nullptr);
  CUSTOS_CHECK((route.access == Access::kPermission) == route.permission.has_value());
  for (const auto& existing : routes_) {
    CUSTOS_CHECK(!(existing.method == route.method && existing.pattern == route.pattern));
  }
  routes_.push_back(std::move(route));
}

RouteMatch Router::Match(std::string_view method, std::string_view path) const {
  RouteMatch match;
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& route : routes_) {
    params.clear();
    if (!MatchPattern(route.pattern, path, params)) continue;
    if (route.method != method) {
      match.path_known = true;
      continue;
    }
    match.route = &route;
    match.params = std::move(params);
    return match;
  }
  return match;
}

}  // namespace custos::http
