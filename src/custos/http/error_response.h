// The one place where a Status becomes an HTTP error: status code plus the JSON body
// {"error":{"code":…,"message":…,"field":…}} (docs/API.md). Internal errors are logged with the
// request id and answered without their details.
#pragma once

#include <string_view>

#include "custos/core/status.h"
#include "custos/http/request.h"

namespace custos::http {

int HttpStatusFor(StatusCode code);
Response ErrorResponse(const Status& status, std::string_view request_id);
Response ErrorResponse(int http_status, std::string_view code, std::string_view message);

}  // namespace custos::http
