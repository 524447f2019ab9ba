// Audit events of reads, committed in groups.
//
// A read changes nothing, so its audit event has no transaction of its own work to join; giving
// each read a transaction of its own made the commit the biggest cost of reading one resource.
// Instead an interface that can wait asynchronously (HTTP) collects a request's read events in
// ReadEvents, hands them to the AuditBatcher, and sends the response only when the batch holding
// them has committed: the data still leaves only after its reading is on the trail, but many
// requests share one commit (group commit).
//
// A read can also run inside the batch itself (SubmitWork): then it reads in the batch's
// transaction, on the connection that writes the trail. That connection's page cache stays warm
// (every commit of the trail empties the caches of the others), and the read needs neither a
// transaction nor a thread of its own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "custos/audit/audit_sink.h"
#include "custos/storage/database.h"

namespace custos::audit {

// The read events of one request, waiting for an AuditBatcher (RequestContext::deferred_reads).
struct ReadEvents {
  std::vector<AuditEvent> events;
};

// Records the events of a read for `context`: into context.deferred_reads when the interface
// collects them, else committed at once in a transaction of their own.
Status RecordRead(storage::Database& database, AuditSink& sink, const RequestContext& context,
                  std::vector<AuditEvent> events);

struct AuditBatcherOptions {
  std::size_t max_batch_events = 2048;
  // Under load (the last batch held at least half of `fill_requests` requests), a batch that
  // holds fewer than `fill_requests` waits up to `linger` for more before it starts.
  std::chrono::microseconds linger{300};
  std::size_t fill_requests = 32;
};

// Commits queued events on a thread of its own, every waiting request's in one transaction.
// Thread-safe. The destructor commits what is queued before it returns.
class AuditBatcher {
 public:
  AuditBatcher(storage::Database& database, AuditSink& sink, AuditBatcherOptions options = {});
  ~AuditBatcher();
  AuditBatcher(const AuditBatcher&) = delete;
  AuditBatcher& operator=(const AuditBatcher&) = delete;

  // Queues `events`; `done` runs on the batcher's thread once they are committed, or with the
  // error that kept them from it (then none of them is on the trail).
  void Submit(std::vector<AuditEvent> events, std::function<void(Status)> done);

  // Runs `work` on the batcher's thread inside the next batch's transaction: it reads what it
  // needs there and adds the audit events of what it read to `events`, which the batch records
  // with the rest (one statement for all). `done` runs after the batch commits, with the
  // commit's outcome. An error from `work` means a statement failed, which spoils the
  // transaction: the whole batch then fails, so outcomes that are not storage failures (a
  // resource not found) the work must keep to itself and report as success.
  using Work = std::function<Status(storage::Transaction&, std::vector<AuditEvent>& events)>;
  void SubmitWork(Work work, std::function<void(Status)> done);

  // Runs `step` in every batch after the requests' works, in the same transaction and on the
  // same terms. Works that only note what they need can have the step read it for all of them
  // in one statement: on PostgreSQL a statement per work is a round trip each, and one thread
  // making them all queued every request behind the others. One step; a second call replaces it.
  void SetBatchStep(Work step);

 private:
  struct Pending {
    std::vector<AuditEvent> events;
    Work work;  // or empty
    std::function<void(Status)> done;
  };
  void Enqueue(Pending pending);
  void Run();
  Status Commit(std::vector<Pending>& batch, const Work* step);

  storage::Database& database_;
  AuditSink& sink_;
  AuditBatcherOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> queue_;        // GUARDED_BY(mutex_)
  std::shared_ptr<const Work> step_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;             // GUARDED_BY(mutex_)
  bool lingering_ = false;            // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace custos::audit
