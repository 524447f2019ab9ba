#include "custos/fhir/fhir_routes.h"

#include <charconv>
#include <cmath>
#include <ctime>

#include "custos/clinical/patient_record.h"
#include "custos/fhir/operation_outcome.h"

namespace custos::fhir {

namespace {

using auth::Permission;
using http::Access;
using http::Request;
using http::Response;
using http::Route;

// RFC 7231 IMF-fixdate, "Tue, 25 Nov 2026 01:52:39 GMT", from the stored time.
std::string HttpDate(const std::string& stored) {
  const auto at = ParseTimestamp(stored);
  if (!at) return "";
  const std::time_t seconds = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(*at));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return buffer;
}

// By value: a caller done with `resource` moves it in, and its text is not copied.
Response ResourceResponse(int status, clinical::StoredResource resource) {
  Response response;
  response.status = status;
  response.content_type = std::string(kFhirJson);
  response.body = std::move(resource.json);
  response.SetHeader("ETag", "W/\"" + std::to_string(resource.version) + "\"");
  response.SetHeader("Last-Modified", HttpDate(resource.last_updated));
  return response;
}

std::string Base(const Request& request) {
  const std::string_view host = request.Header("host");
  return "http://" + std::string(host.empty() ? "localhost" : host) + "/fhir";
}

void SetLocation(Response& response, const Request& request,
                 const clinical::StoredResource& resource) {
  response.SetHeader("Location", Base(request) + "/" + resource.resource_type + "/" + resource.id +
                                     "/_history/" + std::to_string(resource.version));
}

// A merged-away Patient answers with the patient who replaced it, so that an old link or MRN
// lookup lands on the living record; its own versions stay readable by vread. `stored` is what
// was read (and audited); the survivor is read, and audited, here.
Result<Response> FollowReplacedBy(FhirServices& s, const RequestContext& context,
                                  const std::string& base, clinical::StoredResource stored) {
  if (stored.resource_type != "Patient" || s.registry == nullptr ||
      stored.json.find("replaced-by") == std::string::npos) {
    return ResourceResponse(200, std::move(stored));
  }
  CUSTOS_ASSIGN_OR_RETURN(Json resource, ParseJsonObject(stored.json));
  if (patients::ReplacedBy(resource).empty()) return ResourceResponse(200, std::move(stored));
  CUSTOS_ASSIGN_OR_RETURN(std::string survivor, s.registry->Resolve(stored.id));
  if (survivor == stored.id) return ResourceResponse(200, std::move(stored));
  CUSTOS_ASSIGN_OR_RETURN(stored, s.store.Read(context, "Patient", survivor));
  Response response = ResourceResponse(200, stored);
  response.SetHeader("Content-Location",
                     base + "/Patient/" + survivor + "/_history/" + std::to_string(stored.version));
  return response;
}

// If-Match: W/"3" (or "3") → 3.
Result<std::optional<std::int64_t>> IfMatch(const Request& request) {
  std::string_view value = request.Header("if-match");
  if (value.empty()) return std::optional<std::int64_t>();
  if (value.starts_with("W/")) value.remove_prefix(2);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    value = value.substr(1, value.size() - 2);
  std::int64_t version = 0;
  const auto [ptr, error] = std::from_chars(value.data(), value.data() + value.size(), version);
  if (error != std::errc() || ptr != value.data() + value.size()) {
    return Status::InvalidArgument("If-Match must be a version ETag such as W/\"3\"", "If-Match");
  }
  return std::optional<std::int64_t>(version);
}

Result<Json> ResourceBody(const Request& request) {
  Json body = Json::parse(request.body, nullptr, false);
  if (body.is_discarded()) return Status::InvalidArgument("the body is not valid JSON", "body");
  if (!body.is_object())
    return Status::InvalidArgument("the body must be a FHIR resource (a JSON object)", "body");
  return body;
}

Result<std::string> KnownType(const clinical::ResourceStore& store, std::string_view type) {
  const auto& types = store.definitions().StoredResourceTypes();
  if (std::find(types.begin(), types.end(), type) == types.end()) {
    return Status::NotFound("this server does not store " + std::string(type) + " resources");
  }
  return std::string(type);
}

// A write's failure: every validation issue when there are some.
Response WriteError(const Status& status, const Request& request,
                    const clinical::WriteOutcome& outcome) {
  return OperationOutcomeResponse(status, request.request_id,
                                  outcome.issues.empty() ? nullptr : &outcome.issues);
}

Route FhirRoute(std::string method, std::string pattern, Access access,
                std::optional<Permission> permission, std::string summary, http::Handler handler) {
  Route route;
  route.method = std::move(method);
  route.pattern = std::move(pattern);
  route.access = access;
  route.permission = permission;
  route.tag = "fhir";
  route.summary = std::move(summary);
  route.handler = std::move(handler);
  return route;
}

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':' || c == '|') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// application/x-www-form-urlencoded body of POST _search.
Result<clinical::QueryParameters> FormParameters(const Request& request) {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  if (!http::ParseTarget("/?" + request.body, path, query)) {
    return Status::InvalidArgument("the form body is not valid x-www-form-urlencoded", "body");
  }
  return query;
}

// Only the named top-level elements (plus id, meta, resourceType), marked SUBSETTED.
Json Subset(const Json& resource, const std::vector<std::string>& elements) {
  Json out = Json::object();
  for (auto it = resource.begin(); it != resource.end(); ++it) {
    const std::string& key = it.key();
    if (key == "resourceType" || key == "id" || key == "meta" ||
        std::find(elements.begin(), elements.end(), key) != elements.end()) {
      out[key] = it.value();
    }
  }
  Json& tags = out["meta"]["tag"];
  if (!tags.is_array()) tags = Json::array();
  tags.push_back({{"system", "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"},
                  {"code", "SUBSETTED"}});
  return out;
}

Result<Response> SearchResponse(FhirServices& s, const Request& request,
                                const RequestContext& context, const std::string& type,
                                const clinical::QueryParameters& parameters) {
  CUSTOS_ASSIGN_OR_RETURN(clinical::SearchResult result, s.search.Run(context, type, parameters));
  const std::string base = Base(request);
  auto link = [&](int offset) {
    std::string url = base + "/" + type + "?";
    for (const auto& [name, value] : result.paging_parameters)
      url += UrlEncode(name) + "=" + UrlEncode(value) + "&";
    return url + "_offset=" + std::to_string(offset);
  };
  Json bundle = {{"resourceType", "Bundle"}, {"type", "searchset"}, {"total", result.total}};
  Json links = Json::array({{{"relation", "self"}, {"url", link(result.offset)}}});
  if (!result.summary_count && result.count > 0) {
    if (result.offset + result.count < result.total) {
      links.push_back({{"relation", "next"}, {"url", link(result.offset + result.count)}});
    }
    if (result.offset > 0) {
      links.push_back(
          {{"relation", "previous"}, {"url", link(std::max(0, result.offset - result.count))}});
    }
  }
  bundle["link"] = links;
  Json entries = Json::array();
  auto add = [&](const clinical::StoredResource& resource, const char* mode) {
    Json body = Json::parse(resource.json, nullptr, false);
    if (!result.elements.empty() && std::string_view(mode) == "match")
      body = Subset(body, result.elements);
    entries.push_back({{"fullUrl", base + "/" + resource.resource_type + "/" + resource.id},
                       {"resource", std::move(body)},
                       {"search", {{"mode", mode}}}});
  };
  for (const auto& resource : result.matches) add(resource, "match");
  for (const auto& resource : result.included) add(resource, "include");
  if (!result.summary_count) bundle["entry"] = std::move(entries);
  Response response = Response::FromJson(200, bundle);
  response.content_type = std::string(kFhirJson);
  return response;
}

Response HistoryResponse(const Request& request,
                         const std::vector<clinical::StoredResource>& versions) {
  Json bundle = {{"resourceType", "Bundle"},
                 {"type", "history"},
                 {"total", versions.size()},
                 {"entry", Json::array()}};
  for (const auto& version : versions) {
    const bool created = version.version == 1 && !version.deleted;
    Json entry = {
        {"fullUrl", Base(request) + "/" + version.resource_type + "/" + version.id},
        {"request",
         {{"method", version.deleted ? "DELETE" : (created ? "POST" : "PUT")},
          {"url", created ? version.resource_type : version.resource_type + "/" + version.id}}},
        {"response",
         {{"status", version.deleted ? "204" : (created ? "201" : "200")},
          {"etag", "W/\"" + std::to_string(version.version) + "\""},
          {"lastModified", version.last_updated}}}};
    if (!version.deleted) entry["resource"] = Json::parse(version.json);
    bundle["entry"].push_back(std::move(entry));
  }
  Response response = Response::FromJson(200, bundle);
  response.content_type = std::string(kFhirJson);
  return response;
}

Json CapabilityStatement(const FhirServices& s) {
  Json resources = Json::array();
  for (const auto& type : s.store.definitions().StoredResourceTypes()) {
    Json search = Json::array();
    for (const auto& parameter : s.store.definitions().SearchParameters(type)) {
      if (parameter.type == clinical::SearchParamType::kComposite ||
          parameter.type == clinical::SearchParamType::kSpecial) {
        continue;
      }
      search.push_back(
          {{"name", parameter.code}, {"type", clinical::SearchParamTypeName(parameter.type)}});
    }
    Json interactions = Json::array();
    for (const char* code : {"read", "vread", "update", "patch", "delete", "history-instance",
                             "history-type", "create", "search-type"}) {
      interactions.push_back({{"code", code}});
    }
    Json operations = Json::array(
        {{{"name", "validate"},
          {"definition", "http://hl7.org/fhir/OperationDefinition/Resource-validate"}}});
    if (type == "Patient") {
      operations.push_back(
          {{"name", "everything"},
           {"definition", "http://hl7.org/fhir/OperationDefinition/Patient-everything"}});
      operations.push_back(
          {{"name", "match"},
           {"definition", "http://hl7.org/fhir/OperationDefinition/Patient-match"}});
    }
    resources.push_back({{"type", type},
                         {"operation", operations},
                         {"versioning", "versioned-update"},
                         {"readHistory", true},
                         {"updateCreate", true},
                         {"conditionalCreate", true},
                         {"conditionalUpdate", true},
                         {"interaction", interactions},
                         {"searchParam", search}});
  }
  return {{"resourceType", "CapabilityStatement"},
          {"status", "active"},
          {"date", "2026-11-25"},
          {"kind", "instance"},
          {"software", {{"name", "Custos"}, {"version", s.version}}},
          {"fhirVersion", "4.0.1"},
          {"format", Json::array({"application/fhir+json", "json"})},
          {"rest",
           Json::array({{{"mode", "server"},
                         {"security",
                          {{"description",
                            "Bearer token from POST /api/v1/auth/login, or the session cookie"}}},
                         {"resource", resources},
                         {"interaction",
                          Json::array({{{"code", "transaction"}}, {{"code", "batch"}}})}}})}};
}

}  // namespace

void AddFhirRoutes(http::Api& api, FhirServices& s) {
  api.SetErrorEncoder("/fhir", [](const Status& status, std::string_view request_id) {
    return OperationOutcomeResponse(status, request_id);
  });
  auto& router = api.router();

  auto capability = std::make_shared<const Json>(CapabilityStatement(s));
  Route metadata =
      FhirRoute("GET", "/fhir/metadata", Access::kPublic, std::nullopt,
                "The CapabilityStatement: what this FHIR server supports",
                [capability](const Request& request, const RequestContext&) -> Result<Response> {
                  Json statement = *capability;
                  statement["implementation"] = {{"description", "Custos"}, {"url", Base(request)}};
                  Response response = Response::FromJson(200, statement);
                  response.content_type = std::string(kFhirJson);
                  return response;
                });
  metadata.non_blocking = true;
  router.Add(std::move(metadata));

  router.Add(
      FhirRoute("POST", "/fhir", Access::kPermission, Permission::kClinicalWrite,
                "Process a batch or transaction Bundle",
                [&s](const Request& request, const RequestContext& context) -> Result<Response> {
                  CUSTOS_ASSIGN_OR_RETURN(Json body, ResourceBody(request));
                  clinical::WriteOutcome outcome;
                  auto result = s.bundles.Process(context, std::move(body), &outcome);
                  if (!result.ok()) return WriteError(result.status(), request, outcome);
                  Response response = Response::FromJson(200, *result);
                  response.content_type = std::string(kFhirJson);
                  return response;
                }));

  router.Add(FhirRoute(
      "POST", "/fhir/{type}", Access::kPermission, Permission::kClinicalWrite,
      "Create a resource (the server assigns the id); If-None-Exist makes it conditional",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(std::string type, KnownType(s.store, request.PathParam("type")));
        CUSTOS_ASSIGN_OR_RETURN(Json body, ResourceBody(request));
        if (body.value("resourceType", "") != type) {
          return Status::InvalidArgument("resourceType must be " + type, "resourceType");
        }
        clinical::WriteOutcome outcome;
        const std::string_view condition = request.Header("if-none-exist");
        if (!condition.empty()) {
          auto result = s.bundles.CreateIfNoneExist(context, std::move(body),
                                                    std::string(condition), &outcome);
          if (!result.ok()) return WriteError(result.status(), request, outcome);
          Response response = ResourceResponse(result->created ? 201 : 200, result->resource);
          SetLocation(response, request, result->resource);
          return response;
        }
        auto stored = s.store.Create(context, std::move(body), &outcome);
        if (!stored.ok()) return WriteError(stored.status(), request, outcome);
        Response response = ResourceResponse(201, *stored);
        SetLocation(response, request, *stored);
        return response;
      }));

  router.Add(FhirRoute(
      "PUT", "/fhir/{type}", Access::kPermission, Permission::kClinicalWrite,
      "Conditional update: update the one resource matching the query, or create it",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(std::string type, KnownType(s.store, request.PathParam("type")));
        CUSTOS_ASSIGN_OR_RETURN(Json body, ResourceBody(request));
        const size_t question = request.target.find('?');
        if (question == std::string::npos) {
          return Status::InvalidArgument("a conditional update needs search parameters", "url");
        }
        clinical::WriteOutcome outcome;
        auto stored = s.bundles.UpdateWhere(context, type, request.target.substr(question + 1),
                                            std::move(body), &outcome);
        if (!stored.ok()) return WriteError(stored.status(), request, outcome);
        Response response = ResourceResponse(stored->version == 1 ? 201 : 200, *stored);
        SetLocation(response, request, *stored);
        return response;
      }));

  router.Add(FhirRoute(
      "PATCH", "/fhir/{type}/{id}", Access::kPermission, Permission::kClinicalWrite,
      "Change a resource with a JSON Patch (RFC 6902)",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(std::string type, KnownType(s.store, request.PathParam("type")));
        const std::string id(request.PathParam("id"));
        CUSTOS_ASSIGN_OR_RETURN(auto if_match, IfMatch(request));
        Json patch = Json::parse(request.body, nullptr, false);
        if (patch.is_discarded() || !patch.is_array()) {
          return Status::InvalidArgument("the body must be a JSON Patch array", "body");
        }
        CUSTOS_ASSIGN_OR_RETURN(clinical::StoredResource current, s.store.Read(context, type, id));
        Json patched;
        try {
          patched = Json::parse(current.json).patch(patch);
        } catch (const Json::exception& error) {
          return Status::InvalidArgument(
              std::string("the patch cannot be applied: ") + error.what(), "body");
        }
        if (if_match && *if_match != current.version) {
          return Status::Conflict("the resource has changed").WithReason("version_conflict");
        }
        clinical::WriteOutcome outcome;
        auto stored =
            s.store.Update(context, type, id, std::move(patched), current.version, &outcome);
        if (!stored.ok()) return WriteError(stored.status(), request, outcome);
        return ResourceResponse(200, *stored);
      }));

  router.Add(FhirRoute(
      "POST", "/fhir/{type}/$validate", Access::kPermission, Permission::kClinicalRead,
      "Validate a resource without storing it; answers an OperationOutcome",
      [&s](const Request& request, const RequestContext&) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(std::string type, KnownType(s.store, request.PathParam("type")));
        CUSTOS_ASSIGN_OR_RETURN(Json body, ResourceBody(request));
        // Parameters { parameter: [{name: "resource", resource: …}] } or the resource itself.
        if (body.value("resourceType", "") == "Parameters") {
          for (const auto& parameter : body.value("parameter", Json::array())) {
            if (parameter.value("name", "") == "resource")
              body = parameter.value("resource", Json());
          }
        }
        const std::string text = body.dump();
        JsonDocument document;
        CUSTOS_RETURN_IF_ERROR(document.Parse(text));
        std::vector<clinical::ValidationIssue> issues =
            s.store.validator().Validate(document.root());
        if (body.value("resourceType", "") != type) {
          issues.push_back({"error", "invalid", "resourceType", "resourceType must be " + type});
        }
        Json outcome = {{"resourceType", "OperationOutcome"}, {"issue", Json::array()}};
        for (const auto& issue : issues) {
          Json entry = {
              {"severity", issue.severity}, {"code", issue.code}, {"diagnostics", issue.message}};
          if (!issue.expression.empty()) entry["expression"] = Json::array({issue.expression});
          outcome["issue"].push_back(entry);
        }
        if (issues.empty()) {
          outcome["issue"].push_back(
              {{"severity", "information"}, {"code", "informational"}, {"diagnostics", "valid"}});
        }
        Response response = Response::FromJson(200, outcome);
        response.content_type = std::string(kFhirJson);
        return response;
      }));

  router.Add(FhirRoute(
      "GET", "/fhir/{type}", Access::kPermission, Permission::kClinicalRead,
      "Search resources of a type (FHIR search parameters in the query)",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(std::string type, KnownType(s.store, request.PathParam("type")));
        return SearchResponse(s, request, context, type, request.query);
      }));

  router.Add(FhirRoute(
      "POST", "/fhir/{type}/_search", Access::kPermission, Permission::kClinicalRead,
      "Search with the parameters in a form body (and the query)",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(std::string type, KnownType(s.store, request.PathParam("type")));
        CUSTOS_ASSIGN_OR_RETURN(clinical::QueryParameters parameters, FormParameters(request));
        parameters.insert(parameters.begin(), request.query.begin(), request.query.end());
        return SearchResponse(s, request, context, type, parameters);
      }));

  router.Add(FhirRoute(
      "GET", "/fhir/{type}/_history", Access::kPermission, Permission::kClinicalRead,
      "Versions of every resource of a type, newest first (_count, _offset)",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(std::string type, KnownType(s.store, request.PathParam("type")));
        int count = clinical::Search::kDefaultCount;
        int offset = 0;
        for (const auto& [name, value] : request.query) {
          int* target = name == "_count" ? &count : name == "_offset" ? &offset : nullptr;
          if (!target) continue;
          const auto [ptr, error] =
              std::from_chars(value.data(), value.data() + value.size(), *target);
          if (error != std::errc() || ptr != value.data() + value.size() || *target < 0 ||
              *target > clinical::Search::kMaxCount) {
            return Status::InvalidArgument(name + " must be a whole number up to 1000", name);
          }
        }
        CUSTOS_ASSIGN_OR_RETURN(auto versions, s.store.TypeHistory(context, type, count, offset));
        return HistoryResponse(request, versions);
      }));

  if (s.registry != nullptr) {
    router.Add(FhirRoute(
        "POST", "/fhir/Patient/$match", Access::kPermission, Permission::kPatientsRead,
        "Patient/$match: the registry's patients who may be the given Patient, scored",
        [&s](const Request& request, const RequestContext& context) -> Result<Response> {
          CUSTOS_ASSIGN_OR_RETURN(Json body, ResourceBody(request));
          Json patient;
          bool only_certain = false;
          int count = 10;
          if (body.value("resourceType", "") == "Parameters") {
            for (const auto& parameter : body.value("parameter", Json::array())) {
              const std::string name = parameter.value("name", "");
              if (name == "resource") {
                patient = parameter.value("resource", Json());
              } else if (name == "onlyCertainMatches") {
                only_certain = parameter.value("valueBoolean", false);
              } else if (name == "count") {
                count = parameter.value("valueInteger", 10);
              }
            }
          } else {
            patient = body;
          }
          if (!patient.is_object() || patient.value("resourceType", "") != "Patient") {
            return Status::InvalidArgument("$match needs a Patient in the parameter `resource`",
                                           "Parameters.parameter.resource");
          }
          if (count < 1 || count > 100) {
            return Status::InvalidArgument("count must be from 1 to 100",
                                           "Parameters.parameter.count");
          }
          CUSTOS_ASSIGN_OR_RETURN(
              auto candidates,
              s.registry->MatchPerson(context, patients::PersonFromPatient("", patient),
                                      static_cast<size_t>(count)));
          const std::string base = Base(request);
          Json entries = Json::array();
          for (const auto& candidate : candidates) {
            const double log_odds = candidate.match.log_odds;
            const char* grade = candidate.match.decision == patients::Decision::kLink
                                    ? (log_odds >= 10 ? "certain" : "probable")
                                    : "possible";
            if (only_certain && std::string_view(grade) != "certain") continue;
            const double probability = 1.0 / (1.0 + std::exp2(-log_odds));
            entries.push_back(
                {{"fullUrl", base + "/Patient/" + candidate.match.id},
                 {"resource", candidate.resource},
                 {"search",
                  {{"mode", "match"},
                   {"score", std::round(probability * 10000) / 10000},
                   {"extension",
                    Json::array({{{"url", "http://hl7.org/fhir/StructureDefinition/match-grade"},
                                  {"valueCode", grade}}})}}}});
          }
          Json bundle = {{"resourceType", "Bundle"},
                         {"type", "searchset"},
                         {"total", entries.size()},
                         {"entry", entries}};
          Response response = Response::FromJson(200, bundle);
          response.content_type = std::string(kFhirJson);
          return response;
        }));
  }

  router.Add(FhirRoute(
      "GET", "/fhir/Patient/{id}/$everything", Access::kPermission, Permission::kClinicalRead,
      "Everything in a patient's record, streamed as one searchset Bundle",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        clinical::PatientRecordOptions options;
        for (const auto& [name, value] : request.query) {
          if (name == "_type") {
            for (size_t start = 0; start <= value.size();) {
              const size_t comma = std::min(value.find(',', start), value.size());
              const auto type = KnownType(s.store, value.substr(start, comma - start));
              if (!type.ok()) return Status::InvalidArgument(type.status().message(), "_type");
              options.types.push_back(*type);
              start = comma + 1;
            }
          } else if (name == "_since") {
            const auto since = ParseTimestamp(value);
            if (!since) {
              return Status::InvalidArgument(
                  "_since must be an instant such as "
                  "2026-01-01T00:00:00Z",
                  "_since");
            }
            options.since = FormatTimestamp(*since);
          } else if (name != "_format") {
            return Status::InvalidArgument("$everything does not support " + name, name);
          }
        }
        const std::string id(request.PathParam("id"));
        CUSTOS_ASSIGN_OR_RETURN(clinical::PatientRecord record,
                                s.store.OpenPatientRecord(context, id, options));
        // One Bundle, written a page of resources at a time: the server never holds more.
        Response response;
        response.content_type = std::string(kFhirJson);
        const std::string base = Base(request);
        response.body =
            R"({"resourceType":"Bundle","type":"searchset","link":[{"relation":"self","url":)" +
            Json(base + "/Patient/" + id + "/$everything").dump() + R"(}],"entry":[)";
        auto state = std::make_shared<clinical::PatientRecord>(std::move(record));
        auto first = std::make_shared<bool>(true);
        response.next_piece = [state, first, base](std::string& piece) -> Result<bool> {
          constexpr std::size_t kPageSize = 200;
          CUSTOS_ASSIGN_OR_RETURN(auto entries, state->Next(kPageSize));
          for (const auto& entry : entries) {
            if (!*first) piece += ',';
            *first = false;
            piece += R"({"fullUrl":)";
            piece +=
                Json(base + "/" + entry.resource.resource_type + "/" + entry.resource.id).dump();
            piece += R"(,"resource":)";
            piece += entry.resource.json;
            piece += entry.part == clinical::RecordPart::kCompartment
                         ? R"(,"search":{"mode":"match"}})"
                         : R"(,"search":{"mode":"include"}})";
          }
          if (entries.size() < kPageSize) {
            piece += "]}";
            return false;
          }
          return true;
        };
        return response;
      }));

  // The read most clients make most often runs in the read-audit batcher's batches where the
  // store does that (ResourceStore::ReadsInBatches, the server): the handler only queues it, so
  // the I/O thread answers it without a trip to the worker pool. Elsewhere it reads on a worker.
  constexpr const char* kReadSummary = "Read the current version of a resource";
  Route read = FhirRoute(
      "GET", "/fhir/{type}/{id}", Access::kPermission, Permission::kClinicalRead, kReadSummary,
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(std::string type, KnownType(s.store, request.PathParam("type")));
        RequestContext later = context;
        later.deferred_reads = nullptr;  // the request's own read events are gone by then
        Response response;
        response.deferred = [&s, context = std::move(later), type = std::move(type),
                             id = std::string(request.PathParam("id")),
                             base = Base(request)](Response::Deliver deliver) mutable {
          s.store.ReadAsync(
              context, type, id,
              [&s, context, type, base,
               deliver = std::move(deliver)](Result<clinical::StoredResource> stored) {
                if (!stored.ok()) {
                  deliver(stored.status());
                  return;
                }
                deliver(FollowReplacedBy(s, context, base, std::move(stored).value()));
              });
        };
        return response;
      });
  if (s.store.ReadsInBatches()) {
    read.non_blocking = true;
  } else {
    read = FhirRoute(
        "GET", "/fhir/{type}/{id}", Access::kPermission, Permission::kClinicalRead, kReadSummary,
        [&s](const Request& request, const RequestContext& context) -> Result<Response> {
          CUSTOS_ASSIGN_OR_RETURN(std::string type, KnownType(s.store, request.PathParam("type")));
          CUSTOS_ASSIGN_OR_RETURN(
              clinical::StoredResource stored,
              s.store.Read(context, type, std::string(request.PathParam("id"))));
          return FollowReplacedBy(s, context, Base(request), std::move(stored));
        });
  }
  router.Add(std::move(read));

  router.Add(FhirRoute(
      "PUT", "/fhir/{type}/{id}", Access::kPermission, Permission::kClinicalWrite,
      "Update a resource (or create it with this id); If-Match for optimistic locking",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(std::string type, KnownType(s.store, request.PathParam("type")));
        CUSTOS_ASSIGN_OR_RETURN(auto if_match, IfMatch(request));
        CUSTOS_ASSIGN_OR_RETURN(Json body, ResourceBody(request));
        clinical::WriteOutcome outcome;
        auto stored = s.store.Update(context, type, std::string(request.PathParam("id")),
                                     std::move(body), if_match, &outcome);
        if (!stored.ok()) return WriteError(stored.status(), request, outcome);
        Response response = ResourceResponse(stored->version == 1 ? 201 : 200, *stored);
        SetLocation(response, request, *stored);
        return response;
      }));

  router.Add(FhirRoute(
      "DELETE", "/fhir/{type}/{id}", Access::kPermission, Permission::kClinicalWrite,
      "Delete a resource (a new, empty version; history is kept)",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(std::string type, KnownType(s.store, request.PathParam("type")));
        CUSTOS_ASSIGN_OR_RETURN(auto if_match, IfMatch(request));
        CUSTOS_ASSIGN_OR_RETURN(
            clinical::StoredResource stored,
            s.store.Delete(context, type, std::string(request.PathParam("id")), if_match));
        Response response = Response::NoContent();
        response.SetHeader("ETag", "W/\"" + std::to_string(stored.version) + "\"");
        return response;
      }));

  router.Add(FhirRoute(
      "GET", "/fhir/{type}/{id}/_history", Access::kPermission, Permission::kClinicalRead,
      "Every version of a resource, newest first",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(std::string type, KnownType(s.store, request.PathParam("type")));
        CUSTOS_ASSIGN_OR_RETURN(
            auto versions, s.store.History(context, type, std::string(request.PathParam("id"))));
        return HistoryResponse(request, versions);
      }));

  router.Add(FhirRoute(
      "GET", "/fhir/{type}/{id}/_history/{version}", Access::kPermission, Permission::kClinicalRead,
      "Read one version of a resource",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(std::string type, KnownType(s.store, request.PathParam("type")));
        const std::string_view text = request.PathParam("version");
        std::int64_t version = 0;
        const auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), version);
        if (error != std::errc() || ptr != text.data() + text.size()) {
          return Status::NotFound("no such version");
        }
        CUSTOS_ASSIGN_OR_RETURN(
            clinical::StoredResource stored,
            s.store.ReadVersion(context, type, std::string(request.PathParam("id")), version));
        return ResourceResponse(200, stored);
      }));
}

}  // namespace custos::fhir
