// Where the fixtures under tests/data are, whether ctest or a person runs the test binary.
#pragma once

#include <filesystem>
#include <string_view>

namespace custos::testing {

// tests/data/<relative> in the source tree: from CUSTOS_SOURCE_DIR when set (ctest sets it),
// else found by looking upwards from the test binary and from the working directory.
std::filesystem::path TestData(std::string_view relative);

}  // namespace custos::testing
