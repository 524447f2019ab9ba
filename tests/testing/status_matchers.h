// ASSERT_OK / EXPECT_OK for Status and Result<T>, printing the status on failure.
#pragma once

#include <gtest/gtest.h>

#include "custos/core/status.h"

namespace custos::testing {
inline const Status& ToStatus(const Status& status) { return status; }
template <typename T>
Status ToStatus(const Result<T>& result) {
  return result.status();
}
}  // namespace custos::testing

#define ASSERT_OK(expr)                                                   \
  do {                                                                    \
    const ::custos::Status custos_s_ = ::custos::testing::ToStatus(expr); \
    ASSERT_TRUE(custos_s_.ok()) << custos_s_.ToString();                  \
  } while (false)
#define EXPECT_OK(expr)                                                   \
  do {                                                                    \
    const ::custos::Status custos_s_ = ::custos::testing::ToStatus(expr); \
    EXPECT_TRUE(custos_s_.ok()) << custos_s_.ToString();                  \
  } while (false)

// `lhs = value of expr`, failing the test when expr is not OK.
#ifndef ASSERT_OK_AND_ASSIGN
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL(CUSTOS_CONCAT(custos_test_result_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(result, lhs, expr)      \
  auto result = (expr);                                   \
  ASSERT_TRUE(result.ok()) << result.status().ToString(); \
  lhs = std::move(result).value()
#endif
