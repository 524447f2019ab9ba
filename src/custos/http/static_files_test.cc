#include "custos/http/static_files.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace custos::http {
namespace {

// Inflates a gzip (RFC 1952) body; nullopt when it is not valid gzip.
std::optional<std::string> Gunzip(const std::string& data) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return std::nullopt;
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[4096];
  int rc = Z_OK;
  while (rc == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof buffer;
    rc = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof buffer - stream.avail_out);
  }
  inflateEnd(&stream);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

void WriteFile(const std::filesystem::path& path, const std::string& contents) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << contents;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_ =
        "<!doctype html><html><head><title>Custos</title></head><body><div id=root></div>"
        "<script type=module src=/assets/app-3f2a.js></script></body></html>";
    for (int i = 0; i < 120; ++i) {
      app_js_ += "export function f" + std::to_string(i) + "(x) { return x * " + std::to_string(i) +
                 "; }\n";
    }
    ASSERT_GE(app_js_.size(), 2048u);
    png_ = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(3000, '\x01');
    WriteFile(dir_.path() / "index.html", index_);
    WriteFile(dir_.path() / "assets" / "app-3f2a.js", app_js_);
    WriteFile(dir_.path() / "assets" / "logo.png", png_);
    WriteFile(dir_.path() / "robots.txt", "User-agent: *\nDisallow: /\n");
    ASSERT_OK(files_.Load(dir_.path().string()));
    ASSERT_TRUE(files_.loaded());
  }

  testing::TempDir dir_;
  std::string index_;
  std::string app_js_;
  std::string png_;
  StaticFiles files_;
};

TEST_F(StaticFilesTest, ServesAssetsAsImmutable) {
  const Response response = files_.Serve("/assets/app-3f2a.js", false, "");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, app_js_);
  EXPECT_EQ(response.content_type, "text/javascript; charset=utf-8");
  const std::string_view cache = response.Header("Cache-Control");
  EXPECT_NE(cache.find("immutable"), std::string::npos) << cache;
  EXPECT_NE(cache.find("max-age=31536000"), std::string::npos) << cache;
  EXPECT_EQ(response.Header("Content-Encoding"), "");
}

TEST_F(StaticFilesTest, ServesIndexHtmlWithNoCache) {
  for (const char* path : {"/index.html", "/"}) {
    const Response response = files_.Serve(path, false, "");
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.body, index_) << path;
    EXPECT_EQ(response.content_type, "text/html; charset=utf-8") << path;
    EXPECT_EQ(response.Header("Cache-Control"), "no-cache") << path;
    EXPECT_NE(response.Header("Content-Security-Policy").find("default-src 'self'"),
              std::string::npos)
        << path;
  }
}

TEST_F(StaticFilesTest, OtherFilesAreServedAsTheyAre) {
  const Response robots = files_.Serve("/robots.txt", true, "");
  EXPECT_EQ(robots.status, 200);
  EXPECT_EQ(robots.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(robots.body, "User-agent: *\nDisallow: /\n");
  EXPECT_EQ(robots.Header("Cache-Control"), "no-cache");
  EXPECT_EQ(robots.Header("Content-Encoding"), "");  // too small to compress
}

TEST_F(StaticFilesTest, UnknownAppPathsGetIndexHtml) {
  for (const char* path : {"/patients/123", "/login", "/admin/users/u1/edit", "/favicon.ico"}) {
    const Response response = files_.Serve(path, false, "");
    EXPECT_EQ(response.status, 200) << path;
    EXPECT_EQ(response.body, index_) << path;
    EXPECT_EQ(response.Header("Cache-Control"), "no-cache") << path;
  }
}

TEST_F(StaticFilesTest, UnknownAssetIsNotFound) {
  const Response response = files_.Serve("/assets/app-old.js", false, "");
  EXPECT_EQ(response.status, 404);
  EXPECT_NE(response.body, index_);
  EXPECT_EQ(files_.Serve("/assets/", false, "").status, 404);
}

TEST_F(StaticFilesTest, GzipBodyInflatesToTheOriginal) {
  const Response response = files_.Serve("/assets/app-3f2a.js", true, "");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("Content-Encoding"), "gzip");
  EXPECT_NE(response.Header("Vary").find("Accept-Encoding"), std::string::npos);
  EXPECT_LT(response.body.size(), app_js_.size());
  const auto inflated = Gunzip(response.body);
  ASSERT_TRUE(inflated.has_value()) << "not a gzip stream";
  EXPECT_EQ(*inflated, app_js_);
}

TEST_F(StaticFilesTest, BinaryFilesAreNeverGzipped) {
  const Response response = files_.Serve("/assets/logo.png", true, "");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "image/png");
  EXPECT_EQ(response.Header("Content-Encoding"), "");
  EXPECT_EQ(response.body, png_);
}

TEST_F(StaticFilesTest, MatchingETagAnswers304) {
  const Response first = files_.Serve("/assets/app-3f2a.js", true, "");
  const std::string etag(first.Header("ETag"));
  ASSERT_FALSE(etag.empty());
  EXPECT_TRUE(etag.front() == '"' && etag.back() == '"') << etag;

  const Response again = files_.Serve("/assets/app-3f2a.js", true, etag);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(again.Header("ETag"), etag);

  const Response stale = files_.Serve("/assets/app-3f2a.js", false, "\"something-else\"");
  EXPECT_EQ(stale.status, 200);
  EXPECT_EQ(stale.body, app_js_);

  // Different files have different tags.
  EXPECT_NE(files_.Serve("/index.html", false, "").Header("ETag"), etag);
  EXPECT_EQ(files_.Serve("/index.html", false, etag).status, 200);
}

TEST_F(StaticFilesTest, ETagFollowsTheContent) {
  const std::string before(files_.Serve("/index.html", false, "").Header("ETag"));
  WriteFile(dir_.path() / "index.html", index_ + "<!-- new release -->");
  ASSERT_OK(files_.Load(dir_.path().string()));
  const Response after = files_.Serve("/index.html", false, before);
  EXPECT_EQ(after.status, 200);
  EXPECT_NE(after.Header("ETag"), before);
}

TEST(StaticFilesMissingTest, AbsentFolderIsNotAnErrorAndExplainsHowToBuild) {
  testing::TempDir dir;
  StaticFiles files;
  ASSERT_OK(files.Load(dir.File("no-such-folder")));
  EXPECT_FALSE(files.loaded());
  for (const char* path : {"/", "/index.html", "/patients/1", "/assets/app.js"}) {
    const Response response = files.Serve(path, true, "");
    EXPECT_EQ(response.status, 404) << path;
    EXPECT_TRUE(response.content_type.starts_with("text/plain")) << path;
    EXPECT_NE(response.body.find("build"), std::string::npos) << response.body;
  }
}

TEST(GzipTest, RoundTripsAndFlagsCompressibleTypes) {
  const std::string text(5000, 'a');
  const auto zipped = Gzip(text);
  ASSERT_TRUE(zipped.has_value());
  EXPECT_EQ(Gunzip(*zipped), text);
  EXPECT_TRUE(IsCompressible("text/html; charset=utf-8"));
  EXPECT_TRUE(IsCompressible("application/json"));
  EXPECT_TRUE(IsCompressible("image/svg+xml"));
  EXPECT_FALSE(IsCompressible("image/png"));
  EXPECT_FALSE(IsCompressible("font/woff2"));
}

}  // namespace
}  // namespace custos::http
