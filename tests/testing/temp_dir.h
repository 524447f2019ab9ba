// A temporary directory removed with everything in it when the object goes away.
#pragma once

#include <filesystem>
#include <string>

namespace custos::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The PostgreSQL URL the test run provides (CUSTOS_TEST_POSTGRES_URL), or empty.
std::string PostgresTestUrl();

}  // namespace custos::testing
