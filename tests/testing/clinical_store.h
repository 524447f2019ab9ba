// The fixture of the clinical module's storage tests: a ResourceStore on a migrated SQLite
// database in a temporary folder, with its audit trail and a fake clock.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "custos/audit/audit_trail.h"
#include "custos/clinical/definitions.h"
#include "custos/clinical/resource_store.h"
#include "custos/core/clock.h"
#include "custos/storage/migrations.h"
#include "custos/storage/sqlite/sqlite_database.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace custos::testing {

class ClinicalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto database = storage::OpenSqliteDatabase({dir_.File("custos.db")});
    ASSERT_OK(database);
    database_ = std::move(database).value();
    ASSERT_OK(storage::Migrate(*database_));
    trail_ = std::make_unique<audit::AuditTrail>(clock_, nullptr);
    store_ = std::make_unique<clinical::ResourceStore>(*database_, *trail_, clock_,
                                                       clinical::Definitions::R4());
  }

  // The single number `sql` selects (a COUNT); -1, and a test failure, when it fails.
  std::int64_t Count(const std::string& sql) {
    auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
    auto count = (*tx)->QueryInt(sql);
    EXPECT_OK(count);
    return count.ok() ? *count : -1;
  }

  TempDir dir_;
  FakeClock clock_{*ParseTimestamp("2026-11-25T10:00:00Z")};
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<audit::AuditTrail> trail_;
  std::unique_ptr<clinical::ResourceStore> store_;
};

}  // namespace custos::testing
