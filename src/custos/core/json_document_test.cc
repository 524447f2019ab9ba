#include "custos/core/json_document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "custos/core/json.h"
#include "testing/status_matchers.h"

namespace custos {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Keys(JsonValue object) {
  std::vector<std::string> keys;
  for (const JsonValue member : object.children()) keys.emplace_back(member.key());
  return keys;
}

TEST(JsonDocumentTest, ReadsEveryKindOfValue) {
  JsonDocument doc;
  ASSERT_OK(doc.Parse(R"( {"s": "text", "n": -12, "d": 1.50, "e": 2E3, "t": true, "f": false,
                           "z": null, "a": [1, "two", [], {}], "o": {"k": "v"}} )"));
  const JsonValue root = doc.root();
  ASSERT_TRUE(root.is_object());
  EXPECT_EQ(root.size(), 9u);
  EXPECT_EQ(root.find("s").string(), "text");
  EXPECT_TRUE(root.find("n").is_integer());
  EXPECT_EQ(root.find("n").integer(), -12);
  EXPECT_EQ(root.find("n").number(), -12.0);
  EXPECT_FALSE(root.find("d").is_integer());
  EXPECT_EQ(root.find("d").number(), 1.5);
  EXPECT_EQ(root.find("d").raw(), "1.50");  // the precision as written
  EXPECT_EQ(root.find("e").number(), 2000.0);
  EXPECT_FALSE(root.find("e").integer().has_value());
  EXPECT_TRUE(root.find("t").is_bool());
  EXPECT_TRUE(root.find("t").boolean());
  EXPECT_FALSE(root.find("f").boolean());
  EXPECT_TRUE(root.find("z").is_null());
  EXPECT_TRUE(root.find("z").is_primitive());
  const JsonValue array = root.find("a");
  ASSERT_TRUE(array.is_array());
  EXPECT_EQ(array.size(), 4u);
  std::vector<std::string> compact;
  for (const JsonValue element : array.children()) compact.push_back(element.Compact());
  EXPECT_THAT(compact, ElementsAre("1", "\"two\"", "[]", "{}"));
  EXPECT_EQ(root.find("o").find("k").string(), "v");
  EXPECT_EQ(root.find("o").find("k").key(), "k");
}

TEST(JsonDocumentTest, AbsentValuesReadAsNothing) {
  JsonDocument doc;
  ASSERT_OK(doc.Parse(R"({"a": "x"})"));
  const JsonValue missing = doc.root().find("b");
  EXPECT_FALSE(missing.exists());
  EXPECT_FALSE(missing.is_null());
  EXPECT_EQ(missing.string(), "");
  EXPECT_EQ(missing.size(), 0u);
  EXPECT_FALSE(missing.find("c").exists());
  EXPECT_FALSE(doc.root().find("a").find("c").exists());  // not an object
  EXPECT_TRUE(missing.children().begin() == missing.children().end());
  EXPECT_FALSE(JsonDocument().root().exists());
}

TEST(JsonDocumentTest, KeepsTheOrderOfMembersAndTheTextOfValues) {
  JsonDocument doc;
  const std::string text = "{ \"zeta\" : 1.000 ,\n \"alpha\": [ 1e-2 , \"\\u00e9\\n\" ] }";
  ASSERT_OK(doc.Parse(text));
  EXPECT_THAT(Keys(doc.root()), ElementsAre("zeta", "alpha"));
  EXPECT_EQ(doc.root().Compact(), R"({"zeta":1.000,"alpha":[1e-2,"\u00e9\n"]})");
  EXPECT_EQ(doc.root().raw(), text.substr(0, text.size()));
}

TEST(JsonDocumentTest, DecodesEscapes) {
  JsonDocument doc;
  ASSERT_OK(doc.Parse(R"({"k\"ey": "a\\b\/c\u00e9\ud83d\ude00\t", "plain": "ñ"})"));
  EXPECT_EQ(doc.root().find("k\"ey").string(), "a\\b/c\xc3\xa9\xf0\x9f\x98\x80\t");
  EXPECT_EQ(doc.root().find("plain").string(), "\xc3\xb1");
  // An escaped name is written back escaped.
  EXPECT_EQ(doc.root().Compact(), R"({"k\"ey":"a\\b\/c\u00e9\ud83d\ude00\t","plain":"ñ"})");
}

TEST(JsonDocumentTest, RefusesWhatIsNotJsonAndSaysWhere) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "unexpected end"},
      {"{", "expected a member name"},
      {R"({"a": 1,})", "expected a member name"},
      {"[1, 2,]", "unexpected character"},
      {R"({"a" 1})", "expected ':'"},
      {"01", "unexpected text after the value"},
      {"1.", "bad number"},
      {"-", "bad number"},
      {"tru", "unexpected character"},
      {R"("abc)", "unterminated string"},
      {"\"a\tb\"", "control character"},
      {R"("\x")", "bad escape"},
      {R"("\ud800")", "lone surrogate"},
      {R"("\udc00x")", "lone surrogate"},
      {"\"\xc3\"", "invalid UTF-8"},
      {"\"\xc0\xaf\"", "invalid UTF-8"},      // overlong
      {"\"\xed\xa0\x80\"", "invalid UTF-8"},  // a surrogate encoded
      {"[1] [2]", "unexpected text after the value"},
      {"// comment\n1", "unexpected character"},
  };
  for (const auto& [text, message] : bad) {
    JsonDocument doc;
    const Status status = doc.Parse(text);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(status.message(), HasSubstr(message)) << text;
    EXPECT_THAT(status.message(), HasSubstr("at byte")) << text;
    EXPECT_FALSE(doc.root().exists()) << text;
  }
}

// The parser reads strings and indentation eight bytes at a time; whatever ends a string or
// needs a closer look must be found at every offset within (and across) those eight bytes.
TEST(JsonDocumentTest, FindsWhatEndsOrBreaksAStringAtEveryOffset) {
  for (size_t at = 0; at < 20; ++at) {
    SCOPED_TRACE(at);
    const std::string before(at, 'a');
    const std::string after(11, 'b');
    JsonDocument doc;  // the text must outlive what is read from it
    // The closing quote.
    const std::string member = "{\"" + before + "\": \"" + after + "\"}";
    ASSERT_OK(doc.Parse(member));
    EXPECT_THAT(Keys(doc.root()), ElementsAre(before));
    // An escape, then more text.
    const std::string escaped = "\"" + before + "\\\"" + after + "\"";
    ASSERT_OK(doc.Parse(escaped));
    EXPECT_EQ(doc.root().string(), before + "\"" + after);
    // A multi-byte character, checked and kept.
    const std::string accented = "\"" + before + "\xc3\xa9" + after + "\"";
    ASSERT_OK(doc.Parse(accented));
    EXPECT_EQ(doc.root().string(), before + "\xc3\xa9" + after);
    // A control character or broken UTF-8, refused at its own byte (the opening quote is byte 0).
    for (const char* bad : {"\n", "\x1f", "\xc3("}) {
      const Status status = doc.Parse("\"" + before + bad + after + "\"");
      EXPECT_THAT(status.message(), HasSubstr("at byte " + std::to_string(at + 1)));
    }
    // The text ends inside the string.
    EXPECT_THAT(doc.Parse("\"" + before).message(), HasSubstr("unterminated string"));
  }
}

TEST(JsonDocumentTest, SkipsIndentationOfEveryLength) {
  for (size_t width = 0; width < 20; ++width) {
    SCOPED_TRACE(width);
    const std::string indent(width, ' ');
    JsonDocument doc;
    const std::string text = "{\n" + indent + "\"a\":" + indent + "1,\r\n\t" + indent + "\"b\": [" +
                             indent + "true" + indent + "]" + indent + "}" + indent;
    ASSERT_OK(doc.Parse(text));
    EXPECT_THAT(Keys(doc.root()), ElementsAre("a", "b"));
    EXPECT_EQ(doc.root().find("b").Compact(), "[true]");
    // Space is not a value: a document of only spaces, or one cut off after them, is refused.
    EXPECT_THAT(doc.Parse(indent).message(), HasSubstr("unexpected end"));
    EXPECT_THAT(doc.Parse("[1," + indent).message(), HasSubstr("unexpected end"));
  }
}

TEST(JsonDocumentTest, RefusesNestingDeeperThanTheLimit) {
  JsonDocument doc;
  const std::string deep(JsonDocument::kMaxDepth + 1, '[');
  EXPECT_THAT(doc.Parse(deep + std::string(JsonDocument::kMaxDepth + 1, ']')).message(),
              HasSubstr("nested too deeply"));
  const std::string fine(JsonDocument::kMaxDepth, '[');
  EXPECT_OK(doc.Parse(fine + std::string(JsonDocument::kMaxDepth, ']')));
}

TEST(JsonDocumentTest, ParsesAgainIntoTheSameDocument) {
  JsonDocument doc;
  ASSERT_OK(doc.Parse(R"({"a": "\u0041"})"));
  EXPECT_EQ(doc.root().find("a").string(), "A");
  ASSERT_OK(doc.Parse(R"(["b"])"));
  EXPECT_TRUE(doc.root().is_array());
  EXPECT_FALSE(doc.root().find("a").exists());
  EXPECT_FALSE(doc.Parse("{").ok());
  EXPECT_FALSE(doc.root().exists());
}

TEST(JsonDocumentTest, EqualityIsByValue) {
  JsonDocument a, b;
  ASSERT_OK(a.Parse(R"({"x": [1, 2.0, "s", {"k": null}], "y": true})"));
  ASSERT_OK(b.Parse(R"({"y": true, "x": [1.0, 2, "s", {"k": null}]})"));
  EXPECT_TRUE(a.root().Equals(b.root()));
  EXPECT_FALSE(a.root().IsSameNode(b.root()));
  ASSERT_OK(b.Parse(R"({"y": true, "x": [1, 2, "s", {"k": 0}]})"));
  EXPECT_FALSE(a.root().Equals(b.root()));
  ASSERT_OK(b.Parse(R"({"y": true, "x": [1, 2, "s"]})"));
  EXPECT_FALSE(a.root().Equals(b.root()));
}

// Whatever nlohmann reads, this reads the same (values and structure), on real data.
TEST(JsonDocumentTest, AgreesWithNlohmannOnRealResources) {
  const std::string text = R"({"resourceType": "Observation", "id": "1",
    "valueQuantity": {"value": 6.3e1, "unit": "kg", "system": "http://unitsofmeasure.org"},
    "component": [{"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                   "valueQuantity": {"value": 120, "unit": "mm[Hg]"}}],
    "note": [{"text": "caf\u00e9 \"quoted\" \\ tab\t"}], "issued": "2020-01-01T00:00:00Z"})";
  JsonDocument doc;
  ASSERT_OK(doc.Parse(text));
  EXPECT_EQ(Json::parse(doc.root().Compact()), Json::parse(text));
}

}  // namespace
}  // namespace custos
