#include "custos/clinical/bundles.h"

#include <map>

#include "custos/auth/permissions.h"
#include "custos/core/ids.h"

namespace custos::clinical {

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      if (i + 2 >= text.size() || HexValue(text[i + 1]) < 0 || HexValue(text[i + 2]) < 0) {
        return Status::InvalidArgument("bad percent-encoding in a condition", "condition");
      }
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i] == '+' ? ' ' : text[i];
    }
  }
  return out;
}

std::string StatusLine(int code) {
  switch (code) {
    case 200:
      return "200 OK";
    case 201:
      return "201 Created";
    case 204:
      return "204 No Content";
    case 400:
      return "400 Bad Request";
    case 403:
      return "403 Forbidden";
    case 404:
      return "404 Not Found";
    case 409:
      return "409 Conflict";
    case 410:
      return "410 Gone";
    case 412:
      return "412 Precondition Failed";
    case 422:
      return "422 Unprocessable Entity";
    default:
      return std::to_string(code);
  }
}

int HttpCode(const Status& status) {
  if (status.reason() == "invalid_resource") return 422;
  if (status.reason() == "version_conflict" || status.reason() == "multiple_matches") return 412;
  if (status.reason() == "deleted") return 410;
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kFailedPrecondition:
      return 412;
    case StatusCode::kPermissionDenied:
      return 403;
    default:
      return 500;
  }
}

Json ResponseFor(const StoredResource& resource, int code) {
  Json response = {{"status", StatusLine(code)},
                   {"etag", "W/\"" + std::to_string(resource.version) + "\""},
                   {"lastModified", resource.last_updated}};
  if (!resource.deleted) {
    response["location"] = resource.resource_type + "/" + resource.id + "/_history/" +
                           std::to_string(resource.version);
  }
  return response;
}

// Locks a conditional create's condition on PostgreSQL (SQLite's write lock already serialises).
Status LockCondition(storage::Transaction& tx, const std::string& key) {
  if (tx.backend() != storage::Backend::kPostgres) return Status::Ok();
  return tx.Query("SELECT pg_advisory_xact_lock(hashtext($1))", {key},
                  [](const storage::Row&) { return true; });
}

}  // namespace

void RewriteReferences(Json& node, const std::map<std::string, std::string>& ids) {
  if (node.is_object()) {
    auto reference = node.find("reference");
    if (reference != node.end() && reference->is_string()) {
      const auto mapped = ids.find(reference->get_ref<const std::string&>());
      if (mapped != ids.end()) *reference = mapped->second;
    }
    for (auto& [key, value] : node.items()) {
      if (value.is_structured()) RewriteReferences(value, ids);
    }
  } else if (node.is_array()) {
    for (auto& item : node) RewriteReferences(item, ids);
  }
}

Result<QueryParameters> ParseQueryString(std::string_view query) {
  QueryParameters parameters;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t equals = pair.find('=');
    if (equals != std::string_view::npos && equals > 0) {
      CUSTOS_ASSIGN_OR_RETURN(std::string name, Decode(pair.substr(0, equals)));
      CUSTOS_ASSIGN_OR_RETURN(std::string value, Decode(pair.substr(equals + 1)));
      parameters.emplace_back(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return parameters;
}

BundleProcessor::BundleProcessor(storage::Database& database, ResourceStore& store, Search& search)
    : database_(database), store_(store), search_(search) {}

Result<ConditionalCreateResult> BundleProcessor::CreateIfNoneExistIn(
    storage::Transaction& tx, const RequestContext& context, Json resource,
    const std::string& condition, WriteOutcome* outcome, std::string id) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  const std::string type = resource.value("resourceType", "");
  CUSTOS_ASSIGN_OR_RETURN(QueryParameters parameters, ParseQueryString(condition));
  if (parameters.empty())
    return Status::InvalidArgument("If-None-Exist needs search parameters", "If-None-Exist");
  CUSTOS_RETURN_IF_ERROR(LockCondition(tx, type + "?" + condition));
  CUSTOS_ASSIGN_OR_RETURN(std::vector<std::string> matches, search_.MatchIds(tx, type, parameters));
  if (matches.size() > 1) {
    return Status::FailedPrecondition("more than one " + type + " matches " + condition)
        .WithReason("multiple_matches");
  }
  ConditionalCreateResult result;
  if (matches.size() == 1) {
    CUSTOS_ASSIGN_OR_RETURN(auto row,
                            tx.QueryOne("SELECT " + std::string(kResourceColumns) +
                                            " FROM resources r JOIN resource_versions v "
                                            "ON v.rid = r.rid AND v.version = r.version WHERE "
                                            "r.resource_type = $1 AND r.id = $2",
                                        {type, matches.front()}));
    if (!row) return Status::Conflict("the matching resource was deleted meanwhile");
    CUSTOS_ASSIGN_OR_RETURN(result.resource, StoredResourceFromRow(*row));
    return result;
  }
  CUSTOS_ASSIGN_OR_RETURN(
      result.resource, store_.CreateIn(tx, context, std::move(resource), outcome, std::move(id)));
  result.created = true;
  return result;
}

Result<ConditionalCreateResult> BundleProcessor::CreateIfNoneExist(const RequestContext& context,
                                                                   Json resource,
                                                                   const std::string& condition,
                                                                   WriteOutcome* outcome) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(
      ConditionalCreateResult result,
      CreateIfNoneExistIn(*tx, context, std::move(resource), condition, outcome, ""));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return result;
}

Result<StoredResource> BundleProcessor::UpdateWhere(const RequestContext& context,
                                                    const std::string& type,
                                                    const std::string& condition, Json resource,
                                                    WriteOutcome* outcome) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  CUSTOS_ASSIGN_OR_RETURN(QueryParameters parameters, ParseQueryString(condition));
  if (parameters.empty())
    return Status::InvalidArgument("a conditional update needs search parameters", "url");
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_RETURN_IF_ERROR(LockCondition(*tx, type + "?" + condition));
  CUSTOS_ASSIGN_OR_RETURN(std::vector<std::string> matches,
                          search_.MatchIds(*tx, type, parameters));
  if (matches.size() > 1) {
    return Status::FailedPrecondition("more than one " + type + " matches " + condition)
        .WithReason("multiple_matches");
  }
  std::string id = matches.empty() ? resource.value("id", "") : matches.front();
  StoredResource stored;
  if (id.empty()) {
    CUSTOS_ASSIGN_OR_RETURN(stored, store_.CreateIn(*tx, context, std::move(resource), outcome));
  } else {
    CUSTOS_ASSIGN_OR_RETURN(stored, store_.UpdateIn(*tx, context, type, id, std::move(resource),
                                                    std::nullopt, outcome));
  }
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return stored;
}

Result<Json> BundleProcessor::ProcessEntry(storage::Transaction& tx, const RequestContext& context,
                                           Json& entry, WriteOutcome* outcome,
                                           std::string assigned_id) {
  const Json& request = entry["request"];
  const std::string method = request.value("method", "");
  const std::string url = request.value("url", "");
  const size_t question = url.find('?');
  const std::string path = url.substr(0, question);
  const std::string query = question == std::string::npos ? "" : url.substr(question + 1);
  const size_t slash = path.find('/');
  const std::string type = path.substr(0, slash);
  const std::string id = slash == std::string::npos ? "" : path.substr(slash + 1);
  std::optional<std::int64_t> if_match;
  if (request.contains("ifMatch")) {
    std::string etag = request.value("ifMatch", "");
    if (etag.starts_with("W/")) etag = etag.substr(2);
    if (etag.size() >= 2 && etag.front() == '"') etag = etag.substr(1, etag.size() - 2);
    if_match = std::atoll(etag.c_str());
  }
  if (method == "POST") {
    Json resource = std::move(entry["resource"]);
    if (request.contains("ifNoneExist")) {
      CUSTOS_ASSIGN_OR_RETURN(
          ConditionalCreateResult result,
          CreateIfNoneExistIn(tx, context, std::move(resource), request.value("ifNoneExist", ""),
                              outcome, assigned_id));
      return Json{{"response", ResponseFor(result.resource, result.created ? 201 : 200)}};
    }
    CUSTOS_ASSIGN_OR_RETURN(StoredResource stored, store_.CreateIn(tx, context, std::move(resource),
                                                                   outcome, assigned_id));
    return Json{{"response", ResponseFor(stored, 201)}};
  }
  if (method == "PUT") {
    if (id.empty()) {
      return Status::InvalidArgument("conditional updates are not supported inside bundles yet",
                                     "request.url");
    }
    CUSTOS_ASSIGN_OR_RETURN(
        StoredResource stored,
        store_.UpdateIn(tx, context, type, id, std::move(entry["resource"]), if_match, outcome));
    return Json{{"response", ResponseFor(stored, stored.version == 1 ? 201 : 200)}};
  }
  if (method == "DELETE") {
    CUSTOS_ASSIGN_OR_RETURN(StoredResource stored,
                            store_.DeleteIn(tx, context, type, id, if_match));
    return Json{
        {"response",
         {{"status", StatusLine(204)}, {"etag", "W/\"" + std::to_string(stored.version) + "\""}}}};
  }
  if (method == "GET") return Json();  // answered by ReadEntry, after the writes
  return Status::InvalidArgument("request.method must be POST, PUT, DELETE or GET",
                                 "request.method");
}

Result<Json> BundleProcessor::ReadEntry(const RequestContext& context, const std::string& url) {
  const size_t question = url.find('?');
  const std::string path = url.substr(0, question);
  const size_t slash = path.find('/');
  const std::string type = path.substr(0, slash);
  if (question != std::string::npos || slash == std::string::npos) {
    CUSTOS_ASSIGN_OR_RETURN(
        QueryParameters parameters,
        ParseQueryString(question == std::string::npos ? "" : url.substr(question + 1)));
    CUSTOS_ASSIGN_OR_RETURN(SearchResult result, search_.Run(context, type, parameters));
    Json bundle = {{"resourceType", "Bundle"},
                   {"type", "searchset"},
                   {"total", result.total},
                   {"entry", Json::array()}};
    for (const auto* list : {&result.matches, &result.included}) {
      for (const auto& resource : *list) {
        bundle["entry"].push_back(
            {{"fullUrl", resource.resource_type + "/" + resource.id},
             {"resource", Json::parse(resource.json)},
             {"search", {{"mode", list == &result.matches ? "match" : "include"}}}});
      }
    }
    return Json{{"resource", bundle}, {"response", {{"status", StatusLine(200)}}}};
  }
  CUSTOS_ASSIGN_OR_RETURN(StoredResource stored,
                          store_.Read(context, type, path.substr(slash + 1)));
  return Json{{"resource", Json::parse(stored.json)}, {"response", ResponseFor(stored, 200)}};
}

Result<Json> BundleProcessor::Process(const RequestContext& context, Json bundle,
                                      WriteOutcome* outcome) {
  if (bundle.value("resourceType", "") != "Bundle") {
    return Status::InvalidArgument("POST to the base URL takes a Bundle", "resourceType");
  }
  const std::string type = bundle.value("type", "");
  if (type != "transaction" && type != "batch") {
    return Status::InvalidArgument("Bundle.type must be transaction or batch", "Bundle.type");
  }
  Json& entries = bundle["entry"];
  if (!entries.is_array()) entries = Json::array();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].is_object() || !entries[i]["request"].is_object()) {
      return Status::InvalidArgument("every entry needs a request",
                                     "Bundle.entry[" + std::to_string(i) + "].request");
    }
  }
  const bool transaction = type == "transaction";
  std::unique_ptr<storage::Transaction> tx;
  if (transaction) {
    CUSTOS_ASSIGN_OR_RETURN(tx, database_.Begin());
  }
  // Ids for created resources are chosen first, so that references between entries resolve; a
  // conditional create that matches an existing resource makes references point to that one.
  std::vector<std::string> assigned(entries.size());
  std::map<std::string, std::string> ids;
  const Timestamp now = SystemClock().Now();
  for (size_t i = 0; i < entries.size(); ++i) {
    const Json& entry = entries[i];
    const std::string method = entry["request"].value("method", "");
    const std::string full_url = entry.value("fullUrl", "");
    if (method != "POST" || !entry["resource"].is_object()) continue;
    const std::string resource_type = entry["resource"].value("resourceType", "");
    assigned[i] = NewId(now);
    if (transaction && entry["request"].contains("ifNoneExist")) {
      const std::string condition = entry["request"].value("ifNoneExist", "");
      CUSTOS_ASSIGN_OR_RETURN(QueryParameters parameters, ParseQueryString(condition));
      CUSTOS_RETURN_IF_ERROR(LockCondition(*tx, resource_type + "?" + condition));
      CUSTOS_ASSIGN_OR_RETURN(std::vector<std::string> matches,
                              search_.MatchIds(*tx, resource_type, parameters));
      if (matches.size() == 1) assigned[i] = matches.front();
    }
    if (!full_url.empty()) ids[full_url] = resource_type + "/" + assigned[i];
  }
  if (transaction) {
    for (auto& entry : entries) {
      if (entry.contains("resource")) RewriteReferences(entry["resource"], ids);
    }
  }
  // Processing order for transactions: DELETE, POST, PUT, GET (the response keeps entry order).
  std::vector<size_t> order(entries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto rank = [&](size_t i) {
    const std::string method = entries[i]["request"].value("method", "");
    return method == "DELETE" ? 0 : method == "POST" ? 1 : method == "PUT" ? 2 : 3;
  };
  if (transaction)
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return rank(a) < rank(b); });

  Json responses = Json::array();
  for (size_t i = 0; i < entries.size(); ++i) responses.push_back(Json::object());
  if (transaction) {
    for (size_t i : order) {
      auto result = ProcessEntry(*tx, context, entries[i], outcome, assigned[i]);
      if (!result.ok()) return result.status();  // nothing of the transaction is stored
      responses[i] = std::move(result).value();
    }
    CUSTOS_RETURN_IF_ERROR(tx->Commit());
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i]["request"].value("method", "") != "GET") continue;
      CUSTOS_ASSIGN_OR_RETURN(responses[i],
                              ReadEntry(context, entries[i]["request"].value("url", "")));
    }
  } else {
    for (size_t i : order) {
      auto tx = database_.Begin();
      if (!tx.ok()) return tx.status();
      WriteOutcome entry_outcome;
      const bool read = entries[i]["request"].value("method", "") == "GET";
      auto result = read ? Result<Json>(Json())
                         : ProcessEntry(**tx, context, entries[i], &entry_outcome, assigned[i]);
      Status committed = result.ok() ? (*tx)->Commit() : result.status();
      if (committed.ok() && read) {
        result = ReadEntry(context, entries[i]["request"].value("url", ""));
        committed = result.status();
      }
      if (committed.ok()) {
        responses[i] = std::move(result).value();
      } else {
        Json issues = Json::array();
        if (!entry_outcome.issues.empty()) {
          for (const auto& issue : entry_outcome.issues) {
            issues.push_back({{"severity", issue.severity},
                              {"code", issue.code},
                              {"diagnostics", issue.message},
                              {"expression", Json::array({issue.expression})}});
          }
        } else {
          issues.push_back({{"severity", "error"},
                            {"code", "processing"},
                            {"diagnostics", committed.message()}});
        }
        responses[i] = {{"response",
                         {{"status", StatusLine(HttpCode(committed))},
                          {"outcome", {{"resourceType", "OperationOutcome"}, {"issue", issues}}}}}};
      }
    }
  }
  return Json{{"resourceType", "Bundle"},
              {"type", transaction ? "transaction-response" : "batch-response"},
              {"entry", responses}};
}

}  // namespace custos::clinical
