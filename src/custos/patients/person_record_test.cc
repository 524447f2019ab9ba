#include "custos/patients/person_record.h"

#include <gtest/gtest.h>

namespace custos::patients {
namespace {

TEST(PersonCsvTest, ReadsFebrlLayoutTrimmingFields) {
  auto records = ParsePersonCsv(
      "rec_id, given_name, surname, date_of_birth, soc_sec_id, extra\n"
      "rec-1-org, mitchell, green, 19560409, 1804974, x\n"
      "rec-1-dup-0, , green, 19560409, 1804974, y\n",
      "test.csv");
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].id, "rec-1-org");
  EXPECT_EQ((*records)[0].given_name, "mitchell");
  EXPECT_EQ((*records)[0].ssn, "1804974");
  EXPECT_EQ((*records)[1].given_name, "");
}

TEST(PersonCsvTest, DropsBlockingNumberAndIgnoredColumns) {
  const PersonCsvOptions options{.ignore_columns = {"soc_sec_id"}};
  auto records = ParsePersonCsv(
      "rec_id,surname,soc_sec_id,phone_number,blocking_number\nr1,smith,123,03 555,7\n", "test.csv",
      options);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ((*records)[0].ssn, "");
  EXPECT_EQ((*records)[0].phone, "03 555");
  const PersonCsvOptions by_field{.ignore_columns = {"ssn", "phone"}};
  auto aliased = ParsePersonCsv("rec_id,soc_sec_id,phone_number\nr1,123,555\n", "t.csv", by_field);
  ASSERT_TRUE(aliased.ok());
  EXPECT_EQ((*aliased)[0].ssn, "");
  EXPECT_EQ((*aliased)[0].phone, "");
}

TEST(PersonCsvTest, ErrorsNameFileAndLine) {
  auto too_many = ParsePersonCsv("rec_id,surname\nr1,smith\nr2,jones,extra\n", "people.csv");
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_many.status().message().find("people.csv line 3"), std::string::npos);
  EXPECT_FALSE(ParsePersonCsv("surname\nsmith\n", "people.csv").ok());
  EXPECT_FALSE(ParsePersonCsv("", "people.csv").ok());
  EXPECT_EQ(ReadPersonCsv("/nonexistent/people.csv").status().code(), StatusCode::kNotFound);
}

TEST(PersonCsvTest, SplitsQuotedFields) {
  std::vector<std::string> fields;
  ASSERT_TRUE(SplitCsvLine(R"(a, "b, c" ,"d""e")", fields));
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[1], "b, c");
  EXPECT_EQ(fields[2], "d\"e");
  EXPECT_FALSE(SplitCsvLine(R"(a,"b)", fields));
}

}  // namespace
}  // namespace custos::patients
