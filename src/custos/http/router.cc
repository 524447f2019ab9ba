#include "custos/http/router.h"

namespace custos::http {

namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 1;
  while (start <= path.size()) {
    const size_t end = path.find('/', start);
    segments.push_back(
        path.substr(start, (end == std::string_view::npos ? path.size() : end) - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return segments;
}

bool MatchPattern(std::string_view pattern, std::string_view path,
                  std::vector<std::pair<std::string, std::string>>& params) {
  const auto want = Segments(pattern);
  const auto have = Segments(path);
  if (want.size() != have.size()) return false;
  params.clear();
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].size() > 2 && want[i].front() == '{' && want[i].back() == '}') {
      if (have[i].empty()) return false;
      params.emplace_back(std::string(want[i].substr(1, want[i].size() - 2)), std::string(have[i]));
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  return true;
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
