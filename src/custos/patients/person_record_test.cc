#include "custos/patients/person_record.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <string>

#include "testing/temp_dir.h"

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

// Streams a file in batches: every record once, in order, whether the file is plain or gzip, and
// a damaged row is reported with its line number as ParsePersonCsv would.
TEST(PersonCsvReaderTest, ReadsPlainAndGzipFilesInBatches) {
  custos::testing::TempDir dir;
  std::string text = "rec_id, surname, soc_sec_id\n";
  constexpr int kRows = 5000;
  for (int i = 0; i < kRows; ++i)
    text += "r" + std::to_string(i) + ", smith, " + std::to_string(i) + "\n";
  text += "r-last, jones, 7";  // no final newline
  {
    std::ofstream(dir.File("people.csv"), std::ios::binary) << text;
    gzFile gz = gzopen(dir.File("people.csv.gz").c_str(), "wb");
    ASSERT_NE(gz, nullptr);
    gzwrite(gz, text.data(), static_cast<unsigned>(text.size()));
    gzclose(gz);
  }
  const PersonCsvOptions options{.ignore_columns = {"ssn"}};
  for (const std::string name : {"people.csv", "people.csv.gz"}) {
    auto reader = PersonCsvReader::Open(dir.File(name), options);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    std::vector<PersonRecord> batch;
    std::vector<std::string> ids;
    while (true) {
      ASSERT_TRUE(reader->Next(batch, 999).ok());
      if (batch.empty()) break;
      EXPECT_LE(batch.size(), 999u);
      for (const PersonRecord& record : batch) {
        EXPECT_EQ(record.ssn, "");
        ids.push_back(record.id);
      }
    }
    ASSERT_EQ(ids.size(), static_cast<size_t>(kRows + 1)) << name;
    EXPECT_EQ(ids[0], "r0");
    EXPECT_EQ(ids[4321], "r4321");
    EXPECT_EQ(ids.back(), "r-last");
  }
  std::ofstream(dir.File("bad.csv"), std::ios::binary)
      << "rec_id,surname\nr1,smith\nr2,jones,extra\n";
  auto bad = PersonCsvReader::Open(dir.File("bad.csv"));
  ASSERT_TRUE(bad.ok());
  std::vector<PersonRecord> batch;
  const Status status = bad->Next(batch, 100);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.ToString().find("line 3"), std::string::npos) << status.ToString();
  EXPECT_EQ(PersonCsvReader::Open("/nonexistent/people.csv").status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace custos::patients
