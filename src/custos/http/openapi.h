// The OpenAPI 3 document of the API, generated from the route table so that it cannot drift
// from what the server answers: every route, its access rule, parameters and request body.
#pragma once

#include <string>

#include "custos/core/json.h"
#include "custos/http/router.h"

namespace custos::http {

Json BuildOpenApi(const Router& router, const std::string& version);

}  // namespace custos::http
