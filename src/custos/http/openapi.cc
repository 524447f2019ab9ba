#include "custos/http/openapi.h"

#include <algorithm>

namespace custos::http {

namespace {

Json ErrorSchemaRef() { return {{"$ref", "#/components/schemas/Error"}}; }

Json ResponseFor(const std::string& description, bool json_body) {
  Json response = {{"description", description}};
  if (json_body) response["content"] = {{"application/json", {{"schema", ErrorSchemaRef()}}}};
  return response;
}

}  // namespace

Json BuildOpenApi(const Router& router, const std::string& version) {
  Json doc = {
      {"openapi", "3.0.3"},
      {"info",
       {{"title", "Custos API"},
        {"version", version},
        {"description",
         "Health information management. Errors always have the shape of the Error schema; "
         "see docs/API.md."}}},
      {"servers", Json::array({{{"url", "/"}}})},
      {"paths", Json::object()},
      {"components",
       {{"securitySchemes",
         {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}}},
          {"cookieAuth", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "custos_session"}}}}},
        {"schemas",
         {{"Error",
           {{"type", "object"},
            {"required", {"error"}},
            {"properties",
             {{"error",
               {{"type", "object"},
                {"required", {"code", "message"}},
                {"properties",
                 {{"code", {{"type", "string"}}},
                  {"message", {{"type", "string"}}},
                  {"field", {{"type", "string"}}}}}}}}}}}}}}},
  };
  for (const Route& route : router.routes()) {
    Json operation = {{"summary", route.summary}, {"tags", Json::array({route.tag})}};
    std::string method = route.method;
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    Json parameters = Json::array();
    size_t open = route.pattern.find('{');
    while (open != std::string::npos) {
      const size_t close = route.pattern.find('}', open);
      parameters.push_back({{"name", route.pattern.substr(open + 1, close - open - 1)},
                            {"in", "path"},
                            {"required", true},
                            {"schema", {{"type", "string"}}}});
      open = route.pattern.find('{', close);
    }
    for (const auto& query : route.query_parameters) {
      parameters.push_back({{"name", query.value("name", "")},
                            {"in", "query"},
                            {"required", false},
                            {"description", query.value("description", "")},
                            {"schema", {{"type", "string"}}}});
    }
    if (!parameters.empty()) operation["parameters"] = parameters;
    if (!route.request_schema.is_null()) {
      operation["requestBody"] = {
          {"required", true},
          {"content", {{"application/json", {{"schema", route.request_schema}}}}}};
    }
    Json responses = {{"200", {{"description", "OK"}}},
                      {"400", ResponseFor("Invalid input; error.field names the field", true)}};
    if (route.access != Access::kPublic) {
      operation["security"] =
          Json::array({{{"bearerAuth", Json::array()}}, {{"cookieAuth", Json::array()}}});
      responses["401"] = ResponseFor("Not logged in, or the session has ended", true);
      if (route.access == Access::kPermission) {
        operation["x-custos-permission"] = auth::PermissionName(*route.permission);
        responses["403"] = ResponseFor(
            "The caller's roles lack " + std::string(auth::PermissionName(*route.permission)),
            true);
      }
    }
    operation["responses"] = responses;
    doc["paths"][route.pattern][method] = operation;
  }
  return doc;
}

}  // namespace custos::http
