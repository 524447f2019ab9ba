#include "custos/fhir/operation_outcome.h"

#include "custos/core/log.h"
#include "custos/http/error_response.h"

namespace custos::fhir {

namespace {

// FHIR IssueType for a status (http://hl7.org/fhir/R4/valueset-issue-type.html).
std::string_view IssueType(const Status& status) {
  const std::string_view reason = status.reason();
  if (reason == "deleted") return "deleted";
  if (reason == "version_conflict") return "conflict";
  if (reason == "method_not_allowed") return "not-supported";
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return "invalid";
    case StatusCode::kNotFound:
      return "not-found";
    case StatusCode::kConflict:
      return "conflict";
    case StatusCode::kFailedPrecondition:
      return "business-rule";
    case StatusCode::kUnauthenticated:
      return "login";
    case StatusCode::kPermissionDenied:
      return "forbidden";
    case StatusCode::kResourceExhausted:
      return "throttled";
    case StatusCode::kUnavailable:
      return "transient";
    default:
      return "exception";
  }
}

}  // namespace

int FhirHttpStatus(const Status& status) {
  // FHIR's refinements (http://hl7.org/fhir/R4/http.html); the rest as everywhere else.
  const std::string_view reason = status.reason();
  if (reason == "deleted") return 410;
  if (reason == "version_conflict" || reason == "multiple_matches") return 412;
  if (reason == "invalid_resource") return 422;
  if (reason == "method_not_allowed") return 405;
  return http::HttpStatusFor(status.code());
}

http::Response OperationOutcomeResponse(const Status& status, std::string_view request_id,
                                        const std::vector<clinical::ValidationIssue>* issues) {
  Json outcome = {{"resourceType", "OperationOutcome"}, {"issue", Json::array()}};
  if (issues && !issues->empty()) {
    for (const auto& issue : *issues) {
      Json entry = {
          {"severity", issue.severity}, {"code", issue.code}, {"diagnostics", issue.message}};
      if (!issue.expression.empty()) entry["expression"] = Json::array({issue.expression});
      outcome["issue"].push_back(entry);
    }
  } else {
    std::string message = status.message();
    if (status.code() == StatusCode::kInternal) {
      Log(LogLevel::kError, "internal_error",
          {{"request_id", request_id}, {"detail", status.message()}});
      message = "something went wrong on the server (request " + std::string(request_id) + ")";
    }
    Json entry = {{"severity", "error"}, {"code", IssueType(status)}, {"diagnostics", message}};
    if (!status.field().empty()) entry["expression"] = Json::array({status.field()});
    // The machine-readable reason the JSON API gives too (totp_enrollment_required, …), so that a
    // client can tell what to do about a 403.
    if (!status.reason().empty() && status.code() != StatusCode::kInternal) {
      entry["details"] = {{"coding", Json::array({{{"system", "urn:custos:error-reason"},
                                                   {"code", std::string(status.reason())}}})}};
    }
    outcome["issue"].push_back(entry);
  }
  http::Response response = http::Response::FromJson(FhirHttpStatus(status), outcome);
  response.content_type = std::string(kFhirJson);
  if (response.status == 401) response.SetHeader("WWW-Authenticate", "Bearer realm=\"custos\"");
  return response;
}

}  // namespace custos::fhir
