#include "custos/http/request.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace custos::http {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

TEST(ParseTargetTest, SplitsPathAndQuery) {
  std::string path;
  Query query;
  ASSERT_TRUE(ParseTarget("/api/v1/audit?actor=jane&limit=20", path, query));
  EXPECT_EQ(path, "/api/v1/audit");
  EXPECT_EQ(query, (Query{{"actor", "jane"}, {"limit", "20"}}));
}

TEST(ParseTargetTest, PathOnly) {
  std::string path = "stale";
  Query query = {{"stale", "x"}};
  ASSERT_TRUE(ParseTarget("/healthz", path, query));
  EXPECT_EQ(path, "/healthz");
  EXPECT_TRUE(query.empty());
}

TEST(ParseTargetTest, PercentDecodesPathAndQuery) {
  std::string path;
  Query query;
  ASSERT_TRUE(ParseTarget("/api/v1/users/J%C3%A9r%C3%B4me%20X?name=Ana%20Mar%c3%ada&q=a%26b%3Dc",
                          path, query));
  EXPECT_EQ(path, "/api/v1/users/J\xC3\xA9r\xC3\xB4me X");
  EXPECT_EQ(query, (Query{{"name",
                           "Ana Mar\xC3\xAD"
                           "a"},
                          {"q", "a&b=c"}}));
}

TEST(ParseTargetTest, PlusIsASpaceInTheQueryOnly) {
  std::string path;
  Query query;
  ASSERT_TRUE(ParseTarget("/a+b?q=one+two&k%2Bx=1%2B1", path, query));
  EXPECT_EQ(path, "/a+b");
  EXPECT_EQ(query, (Query{{"q", "one two"}, {"k+x", "1+1"}}));
}

TEST(ParseTargetTest, KeepsOrderRepeatsAndEmptyValues) {
  std::string path;
  Query query;
  ASSERT_TRUE(ParseTarget("/x?role=coder&flag&role=admin&empty=&&=nokey", path, query));
  EXPECT_EQ(query, (Query{{"role", "coder"}, {"flag", ""}, {"role", "admin"}, {"empty", ""}}));
}

TEST(ParseTargetTest, RejectsBadPercentEscapes) {
  std::string path;
  Query query;
  for (const char* target :
       {"/a%", "/a%4", "/a%zz", "/a%4g", "/x?q=%", "/x?q=%2", "/x?q=%GG", "/x?%=1"}) {
    EXPECT_FALSE(ParseTarget(target, path, query)) << target;
  }
  // A complete escape at the very end is fine.
  EXPECT_TRUE(ParseTarget("/a%41", path, query));
  EXPECT_EQ(path, "/aA");
  EXPECT_TRUE(ParseTarget("/x?q=%41", path, query));
  EXPECT_EQ(query, (Query{{"q", "A"}}));
}

TEST(ParseTargetTest, RejectsTargetsWithoutALeadingSlash) {
  std::string path;
  Query query;
  for (const char* target : {"", "api/v1/users", "http://example.com/api", "*", "?q=1"}) {
    EXPECT_FALSE(ParseTarget(target, path, query)) << "'" << target << "'";
  }
}

TEST(ParseTargetTest, RejectsAnEncodedNulInThePath) {
  std::string path;
  Query query;
  EXPECT_FALSE(ParseTarget("/files/a%00.txt", path, query));
}

Request WithHeaders(HeaderList headers) {
  Request request;
  request.headers = std::move(headers);
  return request;
}

TEST(RequestTest, CookieFindsEachOfSeveralCookies) {
  const Request request =
      WithHeaders({{"cookie", "theme=dark; custos_session=abc123; lang=en-GB"}});
  EXPECT_EQ(request.Cookie("theme"), "dark");
  EXPECT_EQ(request.Cookie("custos_session"), "abc123");
  EXPECT_EQ(request.Cookie("lang"), "en-GB");
  EXPECT_EQ(request.Cookie("missing"), "");
}

TEST(RequestTest, CookieNamesMatchExactly) {
  const Request request = WithHeaders(
      {{"cookie", "xcustos_session=evil; custos_session_old=old; custos_session=good"}});
  EXPECT_EQ(request.Cookie("custos_session"), "good");
  EXPECT_EQ(request.Cookie("session"), "");
}

TEST(RequestTest, CookieValuesMayHoldEqualsSigns) {
  const Request request = WithHeaders({{"cookie", "token=YWJj==;other=1"}});
  EXPECT_EQ(request.Cookie("token"), "YWJj==");
  EXPECT_EQ(request.Cookie("other"), "1");
}

TEST(RequestTest, NoCookieHeader) { EXPECT_EQ(Request{}.Cookie("custos_session"), ""); }

TEST(RequestTest, HeaderQueryAndPathParamLookups) {
  Request request = WithHeaders({{"content-type", "application/json"}, {"x-request-id", "r1"}});
  request.query = {{"limit", "5"}, {"limit", "9"}, {"empty", ""}};
  request.path_params = {{"id", "u1"}};
  EXPECT_EQ(request.Header("content-type"), "application/json");
  EXPECT_EQ(request.Header("accept"), "");
  EXPECT_EQ(request.QueryParam("limit"), std::optional<std::string>("5"));  // the first one
  EXPECT_EQ(request.QueryParam("empty"), std::optional<std::string>(""));
  EXPECT_EQ(request.QueryParam("absent"), std::nullopt);
  EXPECT_EQ(request.PathParam("id"), "u1");
  EXPECT_EQ(request.PathParam("other"), "");
}

TEST(ResponseTest, SetHeaderReplacesAnExistingValue) {
  Response response;
  response.SetHeader("Cache-Control", "no-cache");
  response.SetHeader("ETag", "\"a\"");
  response.SetHeader("Cache-Control", "no-store");
  EXPECT_EQ(response.Header("Cache-Control"), "no-store");
  EXPECT_EQ(response.Header("ETag"), "\"a\"");
  EXPECT_EQ(response.headers.size(), 2u);
  EXPECT_EQ(response.Header("Vary"), "");
}

TEST(ResponseTest, FromJsonAndNoContent) {
  const Response json = Response::FromJson(201, Json{{"id", "u1"}});
  EXPECT_EQ(json.status, 201);
  EXPECT_EQ(json.content_type, "application/json");
  EXPECT_EQ(Json::parse(json.body), (Json{{"id", "u1"}}));
  const Response none = Response::NoContent();
  EXPECT_EQ(none.status, 204);
  EXPECT_TRUE(none.body.empty());
  EXPECT_TRUE(none.content_type.empty());
}

TEST(ResponseTest, FromJsonSurvivesInvalidUtf8) {
  const Response response = Response::FromJson(200, Json{{"name", std::string("bad \xff byte")}});
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(Json::parse(response.body, nullptr, false).is_discarded());
}

}  // namespace
}  // namespace custos::http
