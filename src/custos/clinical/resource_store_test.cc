// ResourceStore's batched reads (ReadAsync in the read-audit batcher's batches) where the HTTP
// tests cannot reach: one batch reading more different resources than one statement takes.
#include "custos/clinical/resource_store.h"

#include <gtest/gtest.h>

#include <future>
#include <map>
#include <mutex>

#include "custos/audit/read_audit.h"
#include "testing/clinical_store.h"
#include "testing/status_matchers.h"

namespace custos::clinical {
namespace {

class ResourceStoreTest : public testing::ClinicalStoreTest {
 protected:
  RequestContext context_ = RequestContext::System("resource-store-test", "test");
};

TEST_F(ResourceStoreTest, OneBatchReadingMoreResourcesThanAStatementTakesAnswersEachReader) {
  constexpr int kPatients = 150;  // more than two statements' worth of different resources
  std::vector<std::string> ids;
  for (int i = 0; i < kPatients; ++i) {
    ASSERT_OK_AND_ASSIGN(
        StoredResource created,
        store_->Create(context_, Json{{"resourceType", "Patient"},
                                      {"name", Json::array({{{"family", std::to_string(i)}}})}}));
    ids.push_back(created.id);
  }
  const std::int64_t reads_before =
      Count("SELECT COUNT(*) FROM audit_events WHERE action = 'resource.read'");

  audit::AuditBatcher batcher(*database_, *trail_);
  store_->SetReadBatcher(&batcher);
  // Hold the batcher in a batch of its own until every read is queued, so that the reads all
  // go into the next batch together.
  std::promise<void> holding, release;
  std::future<void> released = release.get_future();
  batcher.SubmitWork(
      [&](storage::Transaction&, std::vector<audit::AuditEvent>&) {
        holding.set_value();
        released.wait();
        return Status::Ok();
      },
      [](Status) {});
  holding.get_future().wait();

  std::mutex mutex;
  std::map<std::string, std::vector<Result<StoredResource>>> answers;  // by the id asked for
  std::promise<void> all_answered;
  int pending = 2 * kPatients + 1;
  const auto read = [&](const std::string& id) {
    store_->ReadAsync(context_, "Patient", id, [&, id](Result<StoredResource> result) {
      std::lock_guard lock(mutex);
      answers[id].push_back(std::move(result));
      if (--pending == 0) all_answered.set_value();
    });
  };
  for (const std::string& id : ids) read(id);
  for (int i = kPatients - 1; i >= 0; --i) read(ids[static_cast<std::size_t>(i)]);  // each twice
  read("no-such-patient");
  release.set_value();
  all_answered.get_future().wait();
  store_->SetReadBatcher(nullptr);

  for (int i = 0; i < kPatients; ++i) {
    const auto& got = answers[ids[static_cast<std::size_t>(i)]];
    ASSERT_EQ(got.size(), 2u) << i;
    for (const auto& answer : got) {
      ASSERT_OK(answer);
      EXPECT_EQ(answer->id, ids[static_cast<std::size_t>(i)]);
      EXPECT_EQ(Json::parse(answer->json)["name"][0]["family"], std::to_string(i));
    }
  }
  ASSERT_EQ(answers["no-such-patient"].size(), 1u);
  EXPECT_EQ(answers["no-such-patient"][0].status().code(), StatusCode::kNotFound);
  // One event per resource given out, none for the one not found.
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM audit_events WHERE action = 'resource.read'") - reads_before,
      2 * kPatients);
}

}  // namespace
}  // namespace custos::clinical
