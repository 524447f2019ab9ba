#include "custos/core/json.h"

namespace custos {

Result<Json> ParseJsonObject(std::string_view text) {
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded())
    return Status::InvalidArgument("request body is not valid JSON", "body");
  if (!value.is_object())
    return Status::InvalidArgument("request body must be a JSON object", "body");
  return value;
}

Result<std::string> RequiredString(const Json& object, std::string_view field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) {
    return Status::InvalidArgument(std::string(field) + " is required", std::string(field));
  }
  if (!it->is_string()) {
    return Status::InvalidArgument(std::string(field) + " must be a string", std::string(field));
  }
  return it->get<std::string>();
}

Result<std::optional<std::string>> OptionalString(const Json& object, std::string_view field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return Status::InvalidArgument(std::string(field) + " must be a string", std::string(field));
  }
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::optional<bool>> OptionalBool(const Json& object, std::string_view field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) {
    return Status::InvalidArgument(std::string(field) + " must be true or false",
                                   std::string(field));
  }
  return std::optional<bool>(it->get<bool>());
}

Result<std::optional<std::vector<std::string>>> OptionalStringArray(const Json& object,
                                                                    std::string_view field) {
  using Out = std::optional<std::vector<std::string>>;
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return Out();
  const Status wrong = Status::InvalidArgument(std::string(field) + " must be an array of strings",
                                               std::string(field));
  if (!it->is_array()) return wrong;
  std::vector<std::string> values;
  for (const auto& item : *it) {
    if (!item.is_string()) return wrong;
    values.push_back(item.get<std::string>());
  }
  return Out(std::move(values));
}

}  // namespace custos
