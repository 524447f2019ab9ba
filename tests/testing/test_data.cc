#include "testing/test_data.h"

#include <cstdlib>
#include <string>

namespace custos::testing {

std::filesystem::path TestData(std::string_view relative) {
  const std::filesystem::path folder = std::filesystem::path("tests/data") / std::string(relative);
  if (const char* source = std::getenv("CUSTOS_SOURCE_DIR")) {
    if (std::filesystem::exists(std::filesystem::path(source) / folder))
      return std::filesystem::path(source) / folder;
  }
  std::error_code error;
  for (const std::filesystem::path& start :
       {std::filesystem::read_symlink("/proc/self/exe", error).parent_path(),
        std::filesystem::current_path(error)}) {
    for (std::filesystem::path dir = start; !dir.empty() && dir != dir.root_path();
         dir = dir.parent_path()) {
      if (std::filesystem::exists(dir / folder)) return dir / folder;
    }
  }
  return folder;
}

}  // namespace custos::testing
