#include "custos/clinical/resource_codec.h"

#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace custos::clinical {
namespace {

TEST(ResourceCodecTest, CompressesAndRestoresExactly) {
  const std::vector<std::string> resources = {
      "",
      "{}",
      R"({"resourceType":"Observation","id":"b6a4","meta":{"versionId":"1","lastUpdated":)"
      R"("2026-12-06T09:00:00.000000Z"},"status":"final","code":{"coding":[{"system":)"
      R"("http://loinc.org","code":"8302-2","display":"Body Height"}]},"subject":)"
      R"({"reference":"Patient/0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"},"valueQuantity":)"
      R"({"value":172.5,"unit":"cm","system":"http://unitsofmeasure.org","code":"cm"}})",
      std::string("{\"note\":\"caf\xc3\xa9 \\u0000 ") + std::string(200000, 'z') + "\"}",
  };
  for (const std::string& json : resources) {
    const std::string frame = CompressResource(json);
    ASSERT_OK_AND_ASSIGN(const std::string back, DecompressResource(frame));
    EXPECT_EQ(back, json);
  }
  // The dictionary earns its keep on a typical resource.
  EXPECT_LT(CompressResource(resources[2]).size() * 3, resources[2].size());
}

TEST(ResourceCodecTest, RefusesDamagedFrames) {
  std::string frame = CompressResource(R"({"resourceType":"Patient","id":"p1"})");
  EXPECT_EQ(DecompressResource(frame.substr(0, frame.size() / 2)).status().code(),
            StatusCode::kInternal);
  EXPECT_EQ(DecompressResource("not a frame").status().code(), StatusCode::kInternal);
  // Every frame carries a checksum: a changed byte anywhere after the header is found out.
  for (size_t at = 8; at < frame.size(); ++at) {
    std::string damaged = frame;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
    EXPECT_EQ(DecompressResource(damaged).status().code(), StatusCode::kInternal) << at;
  }
}

}  // namespace
}  // namespace custos::clinical
