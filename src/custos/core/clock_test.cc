#include "custos/core/clock.h"

#include <gtest/gtest.h>

#include "custos/core/ids.h"

namespace custos {
namespace {

using namespace std::chrono;

TEST(ClockTest, FormatsFixedWidthUtc) {
  const Timestamp t =
      sys_days(year(2026) / 11 / 5) + hours(7) + minutes(8) + seconds(9) + microseconds(42);
  EXPECT_EQ(FormatTimestamp(t), "2026-11-05T07:08:09.000042Z");
}

TEST(ClockTest, ParsesWhatItFormats) {
  const Timestamp t = SystemClock().Now();
  EXPECT_EQ(ParseTimestamp(FormatTimestamp(t)), t);
}

TEST(ClockTest, ParsesCoarserFormsAndOffsets) {
  EXPECT_EQ(FormatTimestamp(*ParseTimestamp("2026-11-25")), "2026-11-25T00:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(*ParseTimestamp("2026-11-25T10:00Z")), "2026-11-25T10:00:00.000000Z");
  EXPECT_EQ(FormatTimestamp(*ParseTimestamp("2026-11-25T10:00:00.5+01:00")),
            "2026-11-25T09:00:00.500000Z");
}

TEST(ClockTest, RejectsImpossibleTimes) {
  EXPECT_FALSE(ParseTimestamp("2026-02-30"));
  EXPECT_FALSE(ParseTimestamp("2026-11-25T25:00Z"));
  EXPECT_FALSE(ParseTimestamp("2026-11-25T10:00"));  // no zone
  EXPECT_FALSE(ParseTimestamp("yesterday"));
  EXPECT_FALSE(ParseTimestamp("2026-11-25Tgarbage"));
}

TEST(IdsTest, SortByCreationTime) {
  FakeClock clock(sys_days(year(2026) / 1 / 1));
  const std::string first = NewId(clock.Now());
  clock.Advance(milliseconds(1));
  const std::string second = NewId(clock.Now());
  EXPECT_EQ(first.size(), 26u);
  EXPECT_LT(first, second);
  EXPECT_NE(NewId(clock.Now()), NewId(clock.Now()));
}

}  // namespace
}  // namespace custos
