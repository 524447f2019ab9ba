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

}  // namespace
}  // namespace custos::patients
