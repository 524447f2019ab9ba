#include "custos/core/status.h"

#include <gtest/gtest.h>

namespace custos {
namespace {

Result<int> Half(int value) {
  if (value % 2 != 0) return Status::InvalidArgument("odd", "value");
  return value / 2;
}

Result<int> Quarter(int value) {
  CUSTOS_ASSIGN_OR_RETURN(int half, Half(value));
  CUSTOS_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

TEST(StatusTest, DefaultIsOk) {
  EXPECT_TRUE(Status().ok());
  EXPECT_EQ(Status().reason(), "ok");
}

TEST(StatusTest, ReasonDefaultsToCodeNameAndCanBeRefined) {
  const Status status = Status::Unauthenticated("bad password");
  EXPECT_EQ(status.reason(), "unauthenticated");
  EXPECT_EQ(status.WithReason("invalid_credentials").reason(), "invalid_credentials");
  EXPECT_EQ(status.WithReason("invalid_credentials").code(), StatusCode::kUnauthenticated);
}

TEST(StatusTest, ToStringNamesTheField) {
  EXPECT_EQ(Status::InvalidArgument("too short", "password").ToString(),
            "invalid_argument: too short (password)");
}

TEST(ResultTest, PropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  const Result<int> failed = Quarter(6);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().field(), "value");
}

TEST(ResultTest, OkStatusWithoutValueBecomesInternal) {
  const Result<int> result(Status::Ok());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace custos
