// Huge pages for bulk work: while a HugePageScope lives, the calling thread allocates from a
// jemalloc arena whose memory is backed by transparent huge pages.
//
// An import touches a few hundred megabytes of fresh memory (SQLite's page cache, bundles in
// flight); in 4 KB pages that was 70,000 page faults and as many TLB entries, a sixth of the
// import's CPU. The server keeps ordinary pages: huge pages cost it memory and can stall a page
// fault on compaction, which a request's latency would carry.
//
// Does nothing when the program does not run on jemalloc (the tests, the sanitizer build) or
// the system does not offer transparent huge pages. Thread-safe.
#pragma once

namespace custos {

class HugePageScope {
 public:
  HugePageScope();
  ~HugePageScope();
  HugePageScope(const HugePageScope&) = delete;
  HugePageScope& operator=(const HugePageScope&) = delete;

  // Whether this thread allocates from huge pages now.
  bool active() const { return active_; }

 private:
  bool active_ = false;
  unsigned previous_arena_ = 0;
};

}  // namespace custos
