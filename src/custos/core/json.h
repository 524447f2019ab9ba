// JSON in Custos is nlohmann::json (ordered keys, so the encoding of an object is canonical).
// Helpers here read typed fields from request bodies with errors that name the field.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "custos/core/status.h"

namespace custos {

using Json = nlohmann::json;

// Parses `text` as a JSON object. kInvalidArgument with the parser's position on failure.
Result<Json> ParseJsonObject(std::string_view text);

// Field readers: kInvalidArgument naming `field` when it is present with the wrong type (or,
// for Required*, missing).
Result<std::string> RequiredString(const Json& object, std::string_view field);
Result<std::optional<std::string>> OptionalString(const Json& object, std::string_view field);
Result<std::optional<bool>> OptionalBool(const Json& object, std::string_view field);
Result<std::optional<std::vector<std::string>>> OptionalStringArray(const Json& object,
                                                                    std::string_view field);

}  // namespace custos
