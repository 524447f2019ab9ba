#include "custos/http/error_response.h"

#include "custos/core/log.h"

namespace custos::http {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kResourceExhausted:
      return 503;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

Response ErrorResponse(int http_status, std::string_view code, std::string_view message) {
  return Response::FromJson(http_status, {{"error", {{"code", code}, {"message", message}}}});
}

Response ErrorResponse(const Status& status, std::string_view request_id) {
  const int http_status = HttpStatusFor(status.code());
  if (status.code() == StatusCode::kInternal) {
    Log(LogLevel::kError, "internal_error",
        {{"request_id", request_id}, {"detail", status.message()}});
    return ErrorResponse(
        500, "internal",
        "something went wrong on the server (request " + std::string(request_id) + ")");
  }
  Json error = {{"code", status.reason()}, {"message", status.message()}};
  if (!status.field().empty()) error["field"] = status.field();
  Response response = Response::FromJson(http_status, {{"error", error}});
  if (http_status == 401) response.SetHeader("WWW-Authenticate", "Bearer realm=\"custos\"");
  return response;
}

}  // namespace custos::http
