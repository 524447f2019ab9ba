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

#define ASSERT_OK(expr)                                                  \
  do {                                                                   \
    const ::custos::Status custos_s_ = ::custos::testing::ToStatus(expr); \
    ASSERT_TRUE(custos_s_.ok()) << custos_s_.ToString();                 \
  } while (false)
#define EXPECT_OK(expr)                                                  \
  do {                                                                   \
    const ::custos::Status custos_s_ = ::custos::testing::ToStatus(expr); \
    EXPECT_TRUE(custos_s_.ok()) << custos_s_.ToString();                 \
  } while (false)
