#include "testing/temp_dir.h"

#include <cstdlib>
#include <stdexcept>

namespace custos::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "custos-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string PostgresTestUrl() {
  const char* url = std::getenv("CUSTOS_TEST_POSTGRES_URL");
  return url ? url : "";
}

}  // namespace custos::testing
