// The one place where a Status becomes a FHIR error: HTTP status plus an OperationOutcome
// (http://hl7.org/fhir/R4/operationoutcome.html) whose issues name the element at fault in
// `expression`.
#pragma once

#include <string_view>
#include <vector>

#include "custos/clinical/validator.h"
#include "custos/core/status.h"
#include "custos/http/request.h"

namespace custos::fhir {

inline constexpr std::string_view kFhirJson = "application/fhir+json; charset=utf-8";

int FhirHttpStatus(const Status& status);
// `issues` (validation) are listed when given; otherwise one issue from the status.
http::Response OperationOutcomeResponse(
    const Status& status, std::string_view request_id,
    const std::vector<clinical::ValidationIssue>* issues = nullptr);

}  // namespace custos::fhir
