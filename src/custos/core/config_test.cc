#include "custos/core/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace custos {
namespace {

TEST(ConfigTest, FlagsBeatEnvironmentWhichBeatsTheFile) {
  testing::TempDir dir;
  std::ofstream(dir.File("custos.toml"))
      << "[http]\nport = 1111\nio_threads = 3\n[auth]\nidle_timeout_seconds = 600\n";
  ::setenv("CUSTOS_HTTP_PORT", "2222", 1);
  ::setenv("CUSTOS_AUTH_IDLE_TIMEOUT_SECONDS", "700", 1);
  auto config = LoadConfig("", {{"storage.data_dir", dir.path().string()}, {"http.port", "3333"}});
  ::unsetenv("CUSTOS_HTTP_PORT");
  ::unsetenv("CUSTOS_AUTH_IDLE_TIMEOUT_SECONDS");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->http_port, 3333);                 // flag
  EXPECT_EQ(config->auth_idle_timeout_seconds, 700);  // environment
  EXPECT_EQ(config->http_io_threads, 3);              // file
  EXPECT_EQ(config->DatabaseUrl(), dir.File("custos.db"));
}

TEST(ConfigTest, BadValuesNameTheSetting) {
  Config config;
  const Status status = ApplySetting(config, "http.port", "eighty");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.field(), "http.port");
  EXPECT_EQ(ApplySetting(config, "http.port", "70000").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ApplySetting(config, "no.such", "1").field(), "no.such");
  EXPECT_EQ(ApplySetting(config, "demo", "maybe").code(), StatusCode::kInvalidArgument);
}

TEST(ConfigTest, BrokenFileIsAnError) {
  testing::TempDir dir;
  std::ofstream(dir.File("bad.toml")) << "[http\nport = ";
  EXPECT_EQ(LoadConfig(dir.File("bad.toml"), {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(ConfigTest, EverySettingHasAnEnvironmentName) {
  for (const auto& setting : AllSettings()) {
    EXPECT_TRUE(setting.env_name.starts_with("CUSTOS_")) << setting.name;
    EXPECT_FALSE(setting.help.empty()) << setting.name;
  }
}

}  // namespace
}  // namespace custos
