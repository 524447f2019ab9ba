#include "custos/patients/blocking.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace custos::patients {
namespace {

PreparedRecord Prepared(std::string given, std::string surname, std::string dob) {
  PersonRecord record;
  record.id = given + surname;
  record.given_name = std::move(given);
  record.surname = std::move(surname);
  record.date_of_birth = std::move(dob);
  return PrepareRecord(record, NicknameTable::Default());
}

TEST(BlockingTest, DedupePairsAreOrderedSortedAndUnique) {
  const std::vector<PreparedRecord> records = {
      Prepared("john", "smith", "19700101"), Prepared("jon", "smith", "19700101"),
      Prepared("mary", "jones", "19800202"), Prepared("john", "smyth", "19700101")};
  const std::vector<PairKey> pairs = BlockDedupe(records);
  EXPECT_TRUE(std::is_sorted(pairs.begin(), pairs.end()));
  EXPECT_EQ(std::adjacent_find(pairs.begin(), pairs.end()), pairs.end());
  for (PairKey key : pairs) EXPECT_LT(PairFirst(key), PairSecond(key));
  EXPECT_TRUE(std::binary_search(pairs.begin(), pairs.end(), MakePairKey(0, 1)));
  EXPECT_TRUE(std::binary_search(pairs.begin(), pairs.end(), MakePairKey(0, 3)));
}

TEST(BlockingTest, LinkPairsOnlyAcrossSets) {
  const std::vector<PreparedRecord> index = {Prepared("john", "smith", "19700101"),
                                             Prepared("jon", "smith", "19700101")};
  const std::vector<PreparedRecord> query = {Prepared("john", "smith", "19700101")};
  const std::vector<PairKey> pairs = BlockLink(index, query);
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0], MakePairKey(0, 0));
  EXPECT_EQ(pairs[1], MakePairKey(1, 0));
}

TEST(BlockingTest, RecordsWithNothingInCommonAreNotPaired) {
  const std::vector<PreparedRecord> records = {Prepared("john", "smith", "19700101"),
                                               Prepared("mary", "jones", "19800202")};
  BlockingOptions options;
  options.window = 1;  // sorted neighbourhood pairs nothing
  EXPECT_TRUE(BlockDedupe(records, options).empty());
}

// A block over its pass's limit pairs nothing: here 60 people sharing a street address (a
// name-and-place pass, limit 50) are not paired through it, while 60 sharing a birth date (a date
// pass, limit 1,000) are.
TEST(BlockingTest, NameAndPlaceBlocksHaveTheirOwnLimit) {
  BlockingOptions options;
  options.window = 1;
  std::vector<PreparedRecord> same_address;
  std::vector<PreparedRecord> same_birth_date;
  const char* kGiven[] = {"alma", "bert", "cyril", "dora", "enid", "fritz"};
  const char* kSurname[] = {"quist", "rowe",   "sallow", "tembe", "ulmer",
                            "vance", "wexley", "xiang",  "yorke", "zobel"};
  for (int i = 0; i < 60; ++i) {
    PersonRecord record;
    record.given_name = kGiven[i % 6];
    record.surname = kSurname[i / 6];
    record.street_number = "12";
    record.address_1 = "jacaranda close";
    record.postcode = "2904";
    record.date_of_birth = std::to_string(19000101 + i * 10000);  // a different year each
    same_address.push_back(PrepareRecord(record, NicknameTable::Default()));
    record.street_number = std::to_string(i + 1);
    record.date_of_birth = "19700101";
    same_birth_date.push_back(PrepareRecord(record, NicknameTable::Default()));
  }
  EXPECT_EQ(MaxBlockSize(options, 1), options.max_block_size);             // birth date
  EXPECT_EQ(MaxBlockSize(options, 4), options.max_name_place_block_size);  // postcode + number
  const std::vector<PairKey> by_address = BlockDedupe(same_address, options);
  // Only the name passes can still pair some of them (same given name or Soundex).
  EXPECT_LT(by_address.size(), 60u * 59 / 2 / 4);
  EXPECT_EQ(BlockDedupe(same_birth_date, options).size(), 60u * 59 / 2);
  options.max_name_place_block_size = 1000;
  EXPECT_EQ(BlockDedupe(same_address, options).size(), 60u * 59 / 2);
}

}  // namespace
}  // namespace custos::patients
