#include "custos/audit/audit_trail.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "custos/audit/checkpoint_signer.h"
#include "custos/audit/read_audit.h"
#include "custos/core/clock.h"
#include "custos/core/json.h"
#include "custos/storage/migrations.h"
#include "custos/storage/sqlite/sqlite_database.h"
#include "testing/status_matchers.h"
#include "testing/temp_dir.h"

namespace custos::audit {
namespace {

using std::chrono::seconds;

Timestamp Start() { return *ParseTimestamp("2026-11-25T10:00:00Z"); }

class AuditTrailTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  // Opens (or reopens) the database, the signing key and the trail in the temp dir.
  void Open(AuditTrailOptions options = {}) {
    trail_.reset();
    database_.reset();
    auto database = storage::OpenSqliteDatabase({dir_.File("audit.db")});
    ASSERT_OK(database);
    database_ = std::move(database).value();
    ASSERT_OK(storage::Migrate(*database_));
    auto signer = CheckpointSigner::LoadOrCreate(dir_.File("audit-signing.key"));
    ASSERT_OK(signer);
    signer_ = std::shared_ptr<const CheckpointSigner>(std::move(signer).value());
    options_ = options;
    trail_ = std::make_unique<AuditTrail>(clock_, signer_, options);
  }

  RequestContext Context(const std::string& user = "alice") {
    RequestContext context;
    context.actor_id = "id-" + user;
    context.actor_username = user;
    context.roles = "him_analyst";
    context.purpose_of_use = "HOPERAT";
    context.source_address = "10.0.0.7";
    context.request_id = "req-" + user;
    return context;
  }

  // Records `event` in its own committed transaction.
  void RecordOne(AuditEvent event) {
    auto tx = database_->Begin();
    ASSERT_OK(tx);
    ASSERT_OK(trail_->Record(**tx, std::move(event)));
    ASSERT_OK((*tx)->Commit());
  }

  // Records `count` generic events, one per transaction, moving the clock a second each.
  void RecordMany(int count, const std::string& user = "alice") {
    for (int i = 0; i < count; ++i) {
      clock_.Advance(seconds(1));
      RecordOne(AuditEvent::For(Context(user), "patient.read", "Patient", "p" + std::to_string(i)));
    }
  }

  std::vector<AuditEvent> AllEvents() {
    std::vector<AuditEvent> events;
    auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
    EXPECT_OK(tx);
    if (!tx.ok()) return events;
    EXPECT_OK(trail_->ForEach(**tx, {}, [&](const AuditEvent& e) { events.push_back(e); }));
    std::reverse(events.begin(), events.end());  // oldest first
    return events;
  }

  std::int64_t CheckpointCount() {
    auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
    EXPECT_OK(tx);
    auto count = (*tx)->QueryInt("SELECT COUNT(*) FROM audit_checkpoints");
    EXPECT_OK(count);
    return count.ok() ? *count : -1;
  }

  std::vector<std::int64_t> CheckpointSequences() {
    std::vector<std::int64_t> out;
    auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
    EXPECT_OK(tx);
    auto rows = (*tx)->QueryAll("SELECT seq FROM audit_checkpoints ORDER BY seq");
    EXPECT_OK(rows);
    if (rows.ok()) {
      for (const auto& row : *rows) out.push_back(row.Int(0));
    }
    return out;
  }

  Result<AuditPage> SearchFor(const AuditFilter& filter) {
    auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
    if (!tx.ok()) return tx.status();
    return trail_->Search(**tx, filter);
  }

  Result<std::int64_t> CountFor(const AuditFilter& filter) {
    auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
    if (!tx.ok()) return tx.status();
    return trail_->Count(**tx, filter);
  }

  VerifyOptions TrustOwnKey() {
    VerifyOptions options;
    options.trusted_public_keys = {signer_->public_key_hex()};
    options.anchor_file = options_.anchor_file;
    return options;
  }

  testing::TempDir dir_;
  FakeClock clock_{Start()};
  std::unique_ptr<storage::Database> database_;
  std::shared_ptr<const CheckpointSigner> signer_;
  AuditTrailOptions options_;
  std::unique_ptr<AuditTrail> trail_;
};

TEST_F(AuditTrailTest, AssignsSequencesOneToNWithoutGaps) {
  RecordMany(12);
  const auto events = AllEvents();
  ASSERT_EQ(events.size(), 12u);
  for (size_t i = 0; i < events.size(); ++i)
    EXPECT_EQ(events[i].sequence, static_cast<std::int64_t>(i + 1));
  auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
  ASSERT_OK(tx);
  auto length = AuditTrail::Length(**tx);
  ASSERT_OK(length);
  EXPECT_EQ(*length, 12);
}

TEST_F(AuditTrailTest, LengthOfEmptyTrailIsZero) {
  auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
  ASSERT_OK(tx);
  auto length = AuditTrail::Length(**tx);
  ASSERT_OK(length);
  EXPECT_EQ(*length, 0);
}

TEST_F(AuditTrailTest, EachEventChainsToThePreviousHash) {
  RecordMany(5);
  const auto events = AllEvents();
  ASSERT_EQ(events.size(), 5u);
  EXPECT_EQ(events[0].prev_hash, kGenesisHash);
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_EQ(events[i].prev_hash, events[i - 1].hash) << "at sequence " << events[i].sequence;
  }
  std::set<std::string> distinct;
  for (const auto& e : events) {
    EXPECT_EQ(e.hash.size(), 64u);
    distinct.insert(e.hash);
  }
  EXPECT_EQ(distinct.size(), events.size());
}

TEST_F(AuditTrailTest, StoredHashEqualsRecomputedHash) {
  clock_.Advance(std::chrono::microseconds(123456));  // sub-second time must survive storage
  RecordOne(AuditEvent::For(Context(), "patient.read", "Patient", "p1")
                .WithPatient("patient-1")
                .WithDetails({{"why", "chart review"}, {"n", 3}}));
  RecordOne(
      AuditEvent::For(Context("bob"), "auth.login_failed", "user", "u2").WithOutcome(kFailure));
  RecordOne(AuditEvent::For(Context(), "patient.read", "Patient", "p1").WithPatient(""));
  const auto events = AllEvents();
  ASSERT_EQ(events.size(), 3u);
  for (const auto& e : events)
    EXPECT_EQ(ComputeEventHash(e), e.hash) << "at sequence " << e.sequence;
  // The stored fields are what was recorded.
  EXPECT_EQ(events[0].time, Start() + std::chrono::microseconds(123456));
  EXPECT_EQ(events[0].patient_id, std::optional<std::string>("patient-1"));
  EXPECT_EQ(Json::parse(events[0].details), (Json{{"why", "chart review"}, {"n", 3}}));
  EXPECT_EQ(events[0].actor_name, "alice");
  EXPECT_EQ(events[0].source_address, "10.0.0.7");
  EXPECT_EQ(events[1].outcome, kFailure);
  EXPECT_FALSE(events[1].patient_id.has_value());
  // A missing patient id and an empty one hash differently.
  ASSERT_TRUE(events[2].patient_id.has_value());
  AuditEvent without = events[2];
  without.patient_id.reset();
  EXPECT_NE(ComputeEventHash(without), events[2].hash);
}

TEST_F(AuditTrailTest, ChangingAnyFieldChangesTheHash) {
  RecordOne(AuditEvent::For(Context(), "patient.read", "Patient", "p1").WithPatient("x"));
  const AuditEvent e = AllEvents().at(0);
  const std::string original = ComputeEventHash(e);
  std::vector<AuditEvent> variants(9, e);
  variants[0].sequence += 1;
  variants[1].time += std::chrono::microseconds(1);
  variants[2].actor += "!";
  variants[3].action = "patient.update";
  variants[4].object_id = "p2";
  variants[5].patient_id = "y";
  variants[6].outcome = std::string(kFailure);
  variants[7].details = "{\"a\":1}";
  variants[8].prev_hash = std::string(64, '1');
  for (size_t i = 0; i < variants.size(); ++i)
    EXPECT_NE(ComputeEventHash(variants[i]), original) << i;
}

TEST_F(AuditTrailTest, RolledBackEventsLeaveNoTrace) {
  RecordMany(2);
  {
    auto tx = database_->Begin();
    ASSERT_OK(tx);
    ASSERT_OK(trail_->Record(**tx, AuditEvent::For(Context(), "user.create", "user", "ghost")));
    ASSERT_OK(trail_->Record(**tx, AuditEvent::For(Context(), "user.update", "user", "ghost")));
    // Destroyed without Commit: rolls back.
  }
  AuditFilter ghost;
  ghost.object_id = "ghost";
  auto count = CountFor(ghost);
  ASSERT_OK(count);
  EXPECT_EQ(*count, 0);

  RecordOne(AuditEvent::For(Context(), "user.create", "user", "real"));
  const auto events = AllEvents();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].sequence, 3);
  EXPECT_EQ(events[2].object_id, "real");
  EXPECT_EQ(events[2].prev_hash, events[1].hash);
  auto report = AuditTrail::Verify(*database_, TrustOwnKey());
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok) << report->problem;
}

TEST_F(AuditTrailTest, ManyEventsInOneTransactionChain) {
  auto tx = database_->Begin();
  ASSERT_OK(tx);
  for (int i = 0; i < 5; ++i)
    ASSERT_OK(trail_->Record(**tx, AuditEvent::For(Context(), "a", "b", std::to_string(i))));
  ASSERT_OK((*tx)->Commit());
  RecordMany(2);
  const auto events = AllEvents();
  ASSERT_EQ(events.size(), 7u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence, static_cast<std::int64_t>(i + 1));
    if (i > 0) {
      EXPECT_EQ(events[i].prev_hash, events[i - 1].hash);
    }
  }
}

// RecordAll writes its events a group of rows per statement; with more events than one group
// holds, each group must continue the chain where the one before it ended, in order.
TEST_F(AuditTrailTest, OneCallWithMoreEventsThanAStatementHoldsChainsThemInOrder) {
  constexpr int kEvents = 150;  // more than two statements' worth
  std::vector<AuditEvent> events;
  for (int i = 0; i < kEvents; ++i)
    events.push_back(AuditEvent::For(Context(), "resource.read", "Patient", std::to_string(i)));
  auto tx = database_->Begin();
  ASSERT_OK(tx);
  ASSERT_OK(trail_->RecordAll(**tx, events));
  ASSERT_OK((*tx)->Commit());
  const auto stored = AllEvents();
  ASSERT_EQ(stored.size(), static_cast<size_t>(kEvents));
  for (size_t i = 0; i < stored.size(); ++i) {
    EXPECT_EQ(stored[i].sequence, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(stored[i].object_id, std::to_string(i));
    EXPECT_EQ(ComputeEventHash(stored[i]), stored[i].hash) << "at sequence " << i + 1;
    if (i > 0) {
      EXPECT_EQ(stored[i].prev_hash, stored[i - 1].hash) << "at sequence " << i + 1;
    }
  }
}

// Transaction: "Not thread-safe: use it from one thread at a time" — so one transaction may be
// used by several threads in turn (a worker pool, a coroutine that resumes elsewhere).
// BUG: AuditTrail::Record caches the chain head in a `thread_local ChainHead` keyed by
// tx.serial(). The main thread's copy still says "head = 1" after the worker appended event 2,
// so the third Record computes sequence 2 again and fails with "conflict: UNIQUE constraint
// failed: audit_events.seq" (and the caller's work cannot commit).
TEST_F(AuditTrailTest, ATransactionUsedFromSeveralThreadsInTurnStillChains) {
  auto tx = database_->Begin();
  ASSERT_OK(tx);
  ASSERT_OK(trail_->Record(**tx, AuditEvent::For(Context(), "a", "b", "on main thread")));
  Status on_other_thread;
  std::thread([&] {
    on_other_thread = trail_->Record(**tx, AuditEvent::For(Context(), "a", "b", "on worker"));
  }).join();
  ASSERT_OK(on_other_thread);
  ASSERT_OK(trail_->Record(**tx, AuditEvent::For(Context(), "a", "b", "back on main thread")));
  ASSERT_OK((*tx)->Commit());
  const auto events = AllEvents();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].sequence, 3);
  EXPECT_EQ(events[2].prev_hash, events[1].hash);
  auto report = AuditTrail::Verify(*database_, TrustOwnKey());
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok) << report->problem;
}

// Two trails on two databases, used in turn on one thread.
TEST_F(AuditTrailTest, TwoDatabasesInterleavedOnOneThreadKeepTheirOwnChains) {
  testing::TempDir other_dir;
  auto other = storage::OpenSqliteDatabase({other_dir.File("other.db")});
  ASSERT_OK(other);
  ASSERT_OK(storage::Migrate(**other));
  AuditTrail other_trail(clock_, signer_, {});
  auto tx_a = database_->Begin();
  auto tx_b = (*other)->Begin();
  ASSERT_OK(tx_a);
  ASSERT_OK(tx_b);
  ASSERT_OK(trail_->Record(**tx_a, AuditEvent::For(Context(), "a", "b", "1")));
  ASSERT_OK(other_trail.Record(**tx_b, AuditEvent::For(Context(), "a", "b", "1")));
  ASSERT_OK(trail_->Record(**tx_a, AuditEvent::For(Context(), "a", "b", "2")));
  ASSERT_OK(other_trail.Record(**tx_b, AuditEvent::For(Context(), "a", "b", "2")));
  ASSERT_OK((*tx_a)->Commit());
  ASSERT_OK((*tx_b)->Commit());
  for (storage::Database* database : {database_.get(), other->get()}) {
    auto report = AuditTrail::Verify(*database, TrustOwnKey());
    ASSERT_OK(report);
    EXPECT_TRUE(report->ok) << report->problem;
    EXPECT_EQ(report->events_checked, 2);
  }
}

TEST_F(AuditTrailTest, WritesACheckpointEveryKEvents) {
  Open({.checkpoint_every_events = 4});
  RecordMany(3);
  EXPECT_EQ(CheckpointCount(), 0);
  RecordMany(1);
  EXPECT_EQ(CheckpointSequences(), (std::vector<std::int64_t>{4}));
  RecordMany(5);
  EXPECT_EQ(CheckpointSequences(), (std::vector<std::int64_t>{4, 8}));

  // The checkpoint holds the hash of its event and a signature by our key.
  const auto events = AllEvents();
  auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
  ASSERT_OK(tx);
  auto row = (*tx)->QueryOne(
      "SELECT seq, hash, time, key_id, signature FROM audit_checkpoints WHERE seq = 8");
  ASSERT_OK(row);
  ASSERT_TRUE(row->has_value());
  const auto& checkpoint = **row;
  EXPECT_EQ(checkpoint.String(1), events[7].hash);
  EXPECT_EQ(checkpoint.String(3), signer_->key_id());
  EXPECT_TRUE(CheckpointSigner::VerifySignature(
      signer_->public_key_hex(), CheckpointMessage(8, checkpoint.String(1), checkpoint.String(2)),
      checkpoint.String(4)));
  EXPECT_FALSE(CheckpointSigner::VerifySignature(
      signer_->public_key_hex(), CheckpointMessage(7, checkpoint.String(1), checkpoint.String(2)),
      checkpoint.String(4)));
}

TEST_F(AuditTrailTest, RolledBackCheckpointIsRolledBackToo) {
  Open({.checkpoint_every_events = 2});
  RecordMany(1);
  {
    auto tx = database_->Begin();
    ASSERT_OK(tx);
    ASSERT_OK(trail_->Record(**tx, AuditEvent::For(Context(), "x", "y", "z")));
  }
  EXPECT_EQ(CheckpointCount(), 0);
  RecordMany(1);
  EXPECT_EQ(CheckpointSequences(), (std::vector<std::int64_t>{2}));
  auto report = AuditTrail::Verify(*database_, TrustOwnKey());
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->checkpoints_checked, 1);
}

TEST_F(AuditTrailTest, NoSignerWritesNoCheckpoints) {
  trail_ = std::make_unique<AuditTrail>(clock_, nullptr,
                                        AuditTrailOptions{.checkpoint_every_events = 1});
  RecordMany(3);
  EXPECT_EQ(CheckpointCount(), 0);
  auto written = trail_->WriteCheckpoint(*database_);
  EXPECT_EQ(written.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(AuditTrailTest, WriteCheckpointAppendsToTheAnchorFileAndVerifies) {
  const std::string anchor = dir_.File("anchors.jsonl");
  Open({.checkpoint_every_events = 1000, .anchor_file = anchor});

  auto empty = trail_->WriteCheckpoint(*database_);
  ASSERT_OK(empty);
  EXPECT_EQ(*empty, 0);

  RecordMany(7);
  clock_.Advance(seconds(5));
  auto written = trail_->WriteCheckpoint(*database_);
  ASSERT_OK(written);
  EXPECT_EQ(*written, 7);
  EXPECT_EQ(CheckpointSequences(), (std::vector<std::int64_t>{7}));

  std::ifstream in(anchor);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 1u);
  const Json json = Json::parse(lines[0]);
  EXPECT_EQ(json["seq"], 7);
  EXPECT_EQ(json["hash"], AllEvents().at(6).hash);
  EXPECT_EQ(json["key_id"], signer_->key_id());
  EXPECT_TRUE(CheckpointSigner::VerifySignature(
      signer_->public_key_hex(),
      CheckpointMessage(7, json["hash"].get<std::string>(), json["time"].get<std::string>()),
      json["signature"].get<std::string>()));

  RecordMany(3);
  auto second = trail_->WriteCheckpoint(*database_);
  ASSERT_OK(second);
  EXPECT_EQ(*second, 10);
  std::ifstream again(anchor);
  lines.clear();
  for (std::string line; std::getline(again, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Json::parse(lines[1])["seq"], 10);

  auto report = AuditTrail::Verify(*database_, TrustOwnKey());
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->events_checked, 10);
  EXPECT_EQ(report->last_sequence, 10);
  // Two table checkpoints and two anchor lines.
  EXPECT_EQ(report->checkpoints_checked, 4);
}

TEST_F(AuditTrailTest, VerifyRejectsAGarbledAnchorFile) {
  const std::string anchor = dir_.File("anchors.jsonl");
  Open({.checkpoint_every_events = 1000, .anchor_file = anchor});
  RecordMany(3);
  ASSERT_OK(trail_->WriteCheckpoint(*database_));
  std::ofstream(anchor, std::ios::app) << "this is not json\n";
  auto report = AuditTrail::Verify(*database_, TrustOwnKey());
  ASSERT_OK(report);
  EXPECT_FALSE(report->ok);
}

// Six events for the filter tests:
//   seq 1..3 alice patient.read on patient p-1 (t = +10 s, +20 s, +30 s)
//   seq 4..5 bob auth.login_failed, outcome failure (t = +40 s, +50 s)
//   seq 6    alice patient.read on patient p-2 (t = +60 s)
// Each case is (filter, the sequence numbers it must select, newest first).
std::vector<std::pair<AuditFilter, std::vector<std::int64_t>>> FilterCases() {
  const Timestamp middle = Start() + seconds(35);
  std::vector<std::pair<AuditFilter, std::vector<std::int64_t>>> cases;
  auto add = [&](auto set, std::vector<std::int64_t> expected) {
    AuditFilter filter;
    set(filter);
    cases.emplace_back(filter, std::move(expected));
  };
  add([](AuditFilter&) {}, {6, 5, 4, 3, 2, 1});
  add([](AuditFilter& f) { f.actor_name = "alice"; }, {6, 3, 2, 1});
  add([](AuditFilter& f) { f.action = "auth.login_failed"; }, {5, 4});
  add([](AuditFilter& f) { f.patient_id = "p-2"; }, {6});
  add([](AuditFilter& f) { f.object_type = "user"; }, {5, 4});
  add([](AuditFilter& f) { f.object_id = "p-1"; }, {3, 2, 1});
  add([](AuditFilter& f) { f.outcome = std::string(kFailure); }, {5, 4});
  add([&](AuditFilter& f) { f.from = middle; }, {6, 5, 4});
  add([&](AuditFilter& f) { f.to = middle; }, {3, 2, 1});
  // from is inclusive, to exclusive.
  add(
      [](AuditFilter& f) {
        f.from = Start() + seconds(40);
        f.to = Start() + seconds(50);
      },
      {4});
  add(
      [&](AuditFilter& f) {
        f.actor_name = "alice";
        f.from = middle;
      },
      {6});
  add([](AuditFilter& f) { f.actor_name = "carol"; }, {});
  return cases;
}

class AuditTrailFilterTest : public AuditTrailTest {
 protected:
  void SetUp() override {
    AuditTrailTest::SetUp();
    for (int i = 0; i < 3; ++i) {
      clock_.Set(Start() + seconds(10 * (i + 1)));
      RecordOne(
          AuditEvent::For(Context("alice"), "patient.read", "Patient", "p-1").WithPatient("p-1"));
    }
    for (int i = 3; i < 5; ++i) {
      clock_.Set(Start() + seconds(10 * (i + 1)));
      RecordOne(AuditEvent::For(Context("bob"), "auth.login_failed", "user", "bob")
                    .WithOutcome(kFailure));
    }
    clock_.Set(Start() + seconds(60));
    RecordOne(
        AuditEvent::For(Context("alice"), "patient.read", "Patient", "p-2").WithPatient("p-2"));
  }
};

TEST_F(AuditTrailFilterTest, ForEachAndCountApplyEveryFilter) {
  int index = 0;
  for (const auto& [filter, expected] : FilterCases()) {
    SCOPED_TRACE("filter case " + std::to_string(index++));
    auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
    ASSERT_OK(tx);
    std::vector<std::int64_t> visited;
    ASSERT_OK(
        trail_->ForEach(**tx, filter, [&](const AuditEvent& e) { visited.push_back(e.sequence); }));
    EXPECT_EQ(visited, expected);
    auto count = trail_->Count(**tx, filter);
    ASSERT_OK(count);
    EXPECT_EQ(*count, static_cast<std::int64_t>(expected.size()));
  }
}

TEST_F(AuditTrailFilterTest, SearchAppliesEveryFilter) {
  int index = 0;
  for (const auto& [filter, expected] : FilterCases()) {
    SCOPED_TRACE("filter case " + std::to_string(index++));
    ASSERT_OK_AND_ASSIGN(AuditPage page, SearchFor(filter));
    std::vector<std::int64_t> sequences;
    for (const auto& e : page.events) sequences.push_back(e.sequence);
    EXPECT_EQ(sequences, expected);
    EXPECT_FALSE(page.next_before_sequence.has_value());
  }
}

TEST_F(AuditTrailFilterTest, SearchWithoutFiltersReturnsNewestFirst) {
  ASSERT_OK_AND_ASSIGN(AuditPage page, SearchFor({}));
  ASSERT_EQ(page.events.size(), 6u);
  EXPECT_EQ(page.events.front().sequence, 6);
  EXPECT_EQ(page.events.front().object_id, "p-2");
  EXPECT_EQ(page.events.back().sequence, 1);
  EXPECT_EQ(page.events.back().actor_name, "alice");
}

TEST_F(AuditTrailTest, SearchPagesWithBeforeSequence) {
  RecordMany(7);
  AuditFilter filter;
  filter.limit = 3;
  std::vector<std::int64_t> seen;
  int pages = 0;
  while (true) {
    ASSERT_OK_AND_ASSIGN(AuditPage page, SearchFor(filter));
    ++pages;
    ASSERT_LE(page.events.size(), 3u);
    for (const auto& e : page.events) seen.push_back(e.sequence);
    if (!page.next_before_sequence) break;
    EXPECT_EQ(*page.next_before_sequence, page.events.back().sequence);
    filter.before_sequence = page.next_before_sequence;
    ASSERT_LT(pages, 10) << "paging does not end";
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::int64_t>{7, 6, 5, 4, 3, 2, 1}));
}

TEST_F(AuditTrailTest, ExactlyOneFullPageHasNoNextCursor) {
  RecordMany(3);
  AuditFilter filter;
  filter.limit = 3;
  ASSERT_OK_AND_ASSIGN(AuditPage page, SearchFor(filter));
  EXPECT_EQ(page.events.size(), 3u);
  EXPECT_FALSE(page.next_before_sequence.has_value());
}

TEST_F(AuditTrailTest, FirstPageStopsAtTheLimitAndPointsToTheRest) {
  RecordMany(7);
  AuditFilter filter;
  filter.limit = 3;
  ASSERT_OK_AND_ASSIGN(AuditPage page, SearchFor(filter));
  ASSERT_EQ(page.events.size(), 3u);
  EXPECT_EQ(page.events[0].sequence, 7);
  EXPECT_EQ(page.events[2].sequence, 5);
  ASSERT_TRUE(page.next_before_sequence.has_value());
  EXPECT_EQ(*page.next_before_sequence, 5);
}

TEST_F(AuditTrailTest, CountAndForEachIgnoreLimitAndCursor) {
  RecordMany(4, "alice");
  RecordMany(3, "bob");
  AuditFilter filter;
  filter.actor_name = "bob";
  filter.limit = 1;
  filter.before_sequence = 6;
  ASSERT_OK_AND_ASSIGN(std::int64_t count, CountFor(filter));
  EXPECT_EQ(count, 3);
  ASSERT_OK_AND_ASSIGN(std::int64_t all, CountFor({}));
  EXPECT_EQ(all, 7);

  auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
  ASSERT_OK(tx);
  std::vector<std::int64_t> visited;
  ASSERT_OK(trail_->ForEach(**tx, filter, [&](const AuditEvent& e) {
    EXPECT_EQ(e.actor_name, "bob");
    visited.push_back(e.sequence);
  }));
  EXPECT_EQ(visited, (std::vector<std::int64_t>{7, 6, 5}));
}

TEST_F(AuditTrailTest, VerifyPassesOnAnIntactTrail) {
  Open({.checkpoint_every_events = 5});
  RecordMany(23);
  auto report = AuditTrail::Verify(*database_, TrustOwnKey());
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_FALSE(report->first_bad_sequence.has_value());
  EXPECT_EQ(report->events_checked, 23);
  EXPECT_EQ(report->last_sequence, 23);
  EXPECT_EQ(report->checkpoints_checked, 4);
}

TEST_F(AuditTrailTest, VerifyPassesOnAnEmptyTrail) {
  auto report = AuditTrail::Verify(*database_, TrustOwnKey());
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(report->events_checked, 0);
}

TEST_F(AuditTrailTest, VerifyRejectsACheckpointSignedByAnotherKey) {
  Open({.checkpoint_every_events = 5});
  RecordMany(12);
  testing::TempDir other_dir;
  auto other = CheckpointSigner::LoadOrCreate(other_dir.File("other.key"));
  ASSERT_OK(other);
  ASSERT_NE((*other)->public_key_hex(), signer_->public_key_hex());
  VerifyOptions options;
  options.trusted_public_keys = {(*other)->public_key_hex()};
  auto report = AuditTrail::Verify(*database_, options);
  ASSERT_OK(report);
  EXPECT_FALSE(report->ok);
  ASSERT_TRUE(report->first_bad_sequence.has_value());
  EXPECT_EQ(*report->first_bad_sequence, 5);
  EXPECT_NE(report->problem.find("signature"), std::string::npos) << report->problem;

  // Trusting both keys is fine.
  options.trusted_public_keys.push_back(signer_->public_key_hex());
  report = AuditTrail::Verify(*database_, options);
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok) << report->problem;
}

TEST_F(AuditTrailTest, SigningKeyFileIsPrivateAndReloadsToTheSameKey) {
  const std::string path = dir_.File("audit-signing.key");
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  EXPECT_EQ(signer_->public_key_hex().size(), 64u);
  EXPECT_EQ(signer_->key_id().size(), 16u);
  EXPECT_EQ(signer_->key_id(), CheckpointSigner::KeyIdOf(signer_->public_key_hex()));

  auto reloaded = CheckpointSigner::LoadOrCreate(path);
  ASSERT_OK(reloaded);
  EXPECT_EQ((*reloaded)->public_key_hex(), signer_->public_key_hex());
  // The reloaded key signs what the first one verifies.
  const std::string signature = (*reloaded)->Sign("hello");
  EXPECT_TRUE(CheckpointSigner::VerifySignature(signer_->public_key_hex(), "hello", signature));
  EXPECT_FALSE(CheckpointSigner::VerifySignature(signer_->public_key_hex(), "hellO", signature));

  // A new path gets a different key.
  auto fresh = CheckpointSigner::LoadOrCreate(dir_.File("another.key"));
  ASSERT_OK(fresh);
  EXPECT_NE((*fresh)->public_key_hex(), signer_->public_key_hex());
}

TEST_F(AuditTrailTest, CorruptKeyFileIsFailedPrecondition) {
  const std::string path = dir_.File("corrupt.key");
  std::ofstream(path) << "not-a-key\n";
  auto loaded = CheckpointSigner::LoadOrCreate(path);
  EXPECT_EQ(loaded.status().code(), StatusCode::kFailedPrecondition);

  std::ofstream(path, std::ios::trunc) << "abcd\n";  // hex, but too short
  loaded = CheckpointSigner::LoadOrCreate(path);
  EXPECT_EQ(loaded.status().code(), StatusCode::kFailedPrecondition);

  std::ofstream(path, std::ios::trunc) << "";
  loaded = CheckpointSigner::LoadOrCreate(path);
  EXPECT_EQ(loaded.status().code(), StatusCode::kFailedPrecondition);
  // The corrupt file is left alone, not replaced by a new key.
  EXPECT_EQ(std::filesystem::file_size(path), 0u);
}

// --- Reads audited in groups (read_audit.h) ---

TEST_F(AuditTrailTest, RecordReadCommitsAtOnceWithoutACollector) {
  std::vector<AuditEvent> events;
  events.push_back(AuditEvent::For(Context(), "resource.read", "Patient", "p1").WithPatient("p1"));
  ASSERT_OK(RecordRead(*database_, *trail_, Context(), std::move(events)));
  ASSERT_EQ(AllEvents().size(), 1u);
}

TEST_F(AuditTrailTest, RecordReadLeavesEventsToTheCollector) {
  ReadEvents collected;
  RequestContext context = Context();
  context.deferred_reads = &collected;
  std::vector<AuditEvent> events;
  events.push_back(AuditEvent::For(context, "resource.read", "Patient", "p1"));
  events.push_back(AuditEvent::For(context, "resource.read", "Patient", "p2"));
  ASSERT_OK(RecordRead(*database_, *trail_, context, std::move(events)));
  EXPECT_EQ(collected.events.size(), 2u);
  EXPECT_TRUE(AllEvents().empty());
}

TEST_F(AuditTrailTest, BatcherCallsBackOnlyAfterTheEventsAreCommitted) {
  constexpr int kRequests = 200;
  std::mutex mutex;
  std::vector<std::int64_t> length_seen_by_callback;
  std::atomic<int> done{0};
  {
    AuditBatcher batcher(*database_, *trail_);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kRequests / 4; ++i) {
          std::vector<AuditEvent> events;
          events.push_back(AuditEvent::For(Context("u" + std::to_string(t)), "resource.read",
                                           "Patient", std::to_string(i)));
          batcher.Submit(std::move(events), [&](Status status) {
            EXPECT_OK(status);
            // Another connection must already see the event: it is committed.
            auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
            auto length = AuditTrail::Length(**tx);
            std::lock_guard lock(mutex);
            length_seen_by_callback.push_back(*length);
            ++done;
          });
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }  // the destructor drains the queue
  EXPECT_EQ(done.load(), kRequests);
  const auto events = AllEvents();
  ASSERT_EQ(events.size(), static_cast<size_t>(kRequests));
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].sequence, std::int64_t(i + 1));
  // The n-th callback ran after at least n events were on the trail.
  std::sort(length_seen_by_callback.begin(), length_seen_by_callback.end());
  for (size_t i = 0; i < length_seen_by_callback.size(); ++i)
    EXPECT_GE(length_seen_by_callback[i], std::int64_t(i + 1));
  EXPECT_TRUE(AuditTrail::Verify(*database_, TrustOwnKey())->ok);
}

TEST_F(AuditTrailTest, BatcherReportsAFailedBatchAndKeepsNothingOfIt) {
  // The second event of the batch fails: the first must not be committed either.
  class FailingSecond final : public AuditSink {
   public:
    explicit FailingSecond(AuditSink& inner) : inner_(inner) {}
    Status Record(storage::Transaction& tx, AuditEvent event) override {
      if (++calls_ == 2) return Status::Unavailable("disk full");
      return inner_.Record(tx, std::move(event));
    }

   private:
    AuditSink& inner_;
    int calls_ = 0;
  } sink(*trail_);
  std::promise<Status> result;
  {
    AuditBatcher batcher(*database_, sink);
    std::vector<AuditEvent> events;
    events.push_back(AuditEvent::For(Context(), "resource.read", "Patient", "p1"));
    events.push_back(AuditEvent::For(Context(), "resource.read", "Patient", "p2"));
    batcher.Submit(std::move(events), [&](Status status) { result.set_value(status); });
  }
  const Status status = result.get_future().get();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(AllEvents().empty());
}

// Work submitted to the batcher runs inside the batch's transaction, next to plain events, and
// its callback runs only once the batch is committed.
TEST_F(AuditTrailTest, BatcherRunsWorkInsideTheBatchAndCallsBackAfterTheCommit) {
  std::promise<std::pair<Status, std::int64_t>> seen;
  std::promise<Status> plain;
  {
    AuditBatcher batcher(*database_, *trail_);
    batcher.SubmitWork(
        [&](storage::Transaction& tx, std::vector<AuditEvent>& events) -> Status {
          // It reads inside the batch's transaction (here: what a write earlier in it made).
          CUSTOS_RETURN_IF_ERROR(
              trail_->Record(tx, AuditEvent::For(Context(), "resource.read", "Patient", "w0")));
          CUSTOS_ASSIGN_OR_RETURN(const std::int64_t length, AuditTrail::Length(tx));
          if (length < 1) return Status::Internal("not in the transaction");
          events.push_back(AuditEvent::For(Context(), "resource.read", "Patient", "w1"));
          return Status::Ok();
        },
        [&](Status status) {
          auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
          seen.set_value({status, *AuditTrail::Length(**tx)});
        });
    std::vector<AuditEvent> events;
    events.push_back(AuditEvent::For(Context(), "resource.read", "Patient", "p1"));
    batcher.Submit(std::move(events), [&](Status status) { plain.set_value(status); });
  }
  const auto [status, length_after] = seen.get_future().get();
  EXPECT_OK(status);
  EXPECT_GE(length_after, 1);  // committed before the callback
  EXPECT_OK(plain.get_future().get());
  std::set<std::string> objects;
  for (const auto& event : AllEvents()) objects.insert(event.object_id);
  EXPECT_EQ(objects, (std::set<std::string>{"w0", "w1", "p1"}));
}

// A work item whose statement fails spoils the batch: nothing of it is kept, and every request
// of the batch hears so.
TEST_F(AuditTrailTest, BatcherFailsTheWholeBatchWhenWorkFails) {
  std::promise<Status> work_done, plain_done;
  {
    AuditBatcher batcher(*database_, *trail_);
    // Queued together: the batcher thread takes both in one batch only if it is busy, so make it
    // busy with a first item that waits for the others to be queued. Only once that item runs:
    // a thread that woke late could otherwise take it with the next one and leave the last.
    std::promise<void> running, queued;
    auto queued_future = queued.get_future().share();
    batcher.SubmitWork(
        [&running, queued_future](storage::Transaction&, std::vector<AuditEvent>&) -> Status {
          running.set_value();
          queued_future.wait();
          return Status::Ok();
        },
        [](Status) {});
    running.get_future().wait();
    batcher.SubmitWork(
        [&](storage::Transaction& tx, std::vector<AuditEvent>& events) -> Status {
          events.push_back(AuditEvent::For(Context(), "resource.read", "Patient", "w1"));
          return tx.Execute("SELECT no_such_column FROM audit_events").status();
        },
        [&](Status status) { work_done.set_value(status); });
    std::vector<AuditEvent> events;
    events.push_back(AuditEvent::For(Context(), "resource.read", "Patient", "p1"));
    batcher.Submit(std::move(events), [&](Status status) { plain_done.set_value(status); });
    queued.set_value();
  }
  EXPECT_FALSE(work_done.get_future().get().ok());
  EXPECT_FALSE(plain_done.get_future().get().ok());
  for (const auto& event : AllEvents()) {
    EXPECT_NE(event.object_id, "w1");
    EXPECT_NE(event.object_id, "p1");
  }
}

// The batch step runs once per batch, after every work of it, in the same transaction: works
// that only note what they need have it done for all of them at once.
TEST_F(AuditTrailTest, BatcherRunsItsStepOnceAfterTheWorksOfEachBatch) {
  std::vector<std::string> noted;               // by the works, on the batcher's thread
  std::vector<std::vector<std::string>> steps;  // what each run of the step found noted
  std::promise<Status> first_done, second_done;
  {
    AuditBatcher batcher(*database_, *trail_);
    batcher.SetBatchStep([&](storage::Transaction& tx, std::vector<AuditEvent>& events) -> Status {
      steps.push_back(noted);
      for (const auto& id : noted)
        events.push_back(AuditEvent::For(Context(), "resource.read", "Patient", id));
      noted.clear();
      // In the batch's transaction: what the works wrote is there.
      CUSTOS_ASSIGN_OR_RETURN(const std::int64_t length, AuditTrail::Length(tx));
      return length >= 1 ? Status::Ok() : Status::Internal("not in the batch's transaction");
    });
    // A first batch holds the thread while two works queue, so that they share the next one.
    std::promise<void> started, release;
    auto released = release.get_future().share();
    batcher.SubmitWork(
        [&, released](storage::Transaction& tx, std::vector<AuditEvent>&) -> Status {
          started.set_value();
          released.wait();
          return trail_->Record(tx, AuditEvent::For(Context(), "resource.read", "Patient", "w0"));
        },
        [](Status) {});
    started.get_future().wait();
    auto note = [&](const std::string& id, std::promise<Status>& done) {
      batcher.SubmitWork(
          [&noted, id](storage::Transaction&, std::vector<AuditEvent>&) -> Status {
            noted.push_back(id);
            return Status::Ok();
          },
          [&done](Status status) { done.set_value(status); });
    };
    note("a", first_done);
    note("b", second_done);
    release.set_value();
    EXPECT_OK(first_done.get_future().get());
    EXPECT_OK(second_done.get_future().get());
  }
  ASSERT_EQ(steps.size(), 2u);  // the step ran in both batches
  EXPECT_TRUE(steps[0].empty());
  EXPECT_EQ(steps[1], (std::vector<std::string>{"a", "b"}));
  std::set<std::string> objects;
  for (const auto& event : AllEvents()) objects.insert(event.object_id);
  EXPECT_EQ(objects, (std::set<std::string>{"w0", "a", "b"}));
}

// A step whose statement fails spoils its batch like a work's would.
TEST_F(AuditTrailTest, BatcherFailsTheBatchWhenItsStepFails) {
  std::promise<Status> done;
  {
    AuditBatcher batcher(*database_, *trail_);
    batcher.SetBatchStep([](storage::Transaction& tx, std::vector<AuditEvent>&) -> Status {
      return tx.Execute("SELECT no_such_column FROM audit_events").status();
    });
    std::vector<AuditEvent> events;
    events.push_back(AuditEvent::For(Context(), "resource.read", "Patient", "p1"));
    batcher.Submit(std::move(events), [&](Status status) { done.set_value(status); });
  }
  EXPECT_FALSE(done.get_future().get().ok());
  EXPECT_TRUE(AllEvents().empty());
}

// Lingering for a fuller batch happens only under load: a lone request, after another lone one,
// starts its batch at once however long the linger (a wrong linger would hold it for a day).
TEST_F(AuditTrailTest, BatcherDoesNotHoldALoneRequestForMore) {
  AuditBatcherOptions options;
  options.linger = std::chrono::hours(24);
  options.fill_requests = 4;
  AuditBatcher batcher(*database_, *trail_, options);
  for (int i = 0; i < 3; ++i) {
    std::promise<Status> done;
    std::vector<AuditEvent> events;
    events.push_back(AuditEvent::For(Context(), "resource.read", "Patient", std::to_string(i)));
    batcher.Submit(std::move(events), [&](Status status) { done.set_value(status); });
    auto future = done.get_future();
    ASSERT_EQ(future.wait_for(std::chrono::seconds(60)), std::future_status::ready);
    EXPECT_OK(future.get());
  }
  EXPECT_EQ(AllEvents().size(), 3u);
}

// After a batch of at least half of fill_requests, the next batch waits until it holds
// fill_requests, and starts as soon as it does (here the linger is a day).
TEST_F(AuditTrailTest, BatcherUnderLoadWaitsForAFullBatchAndStartsWhenItIsFull) {
  AuditBatcherOptions options;
  options.linger = std::chrono::hours(24);
  options.fill_requests = 4;
  AuditBatcher batcher(*database_, *trail_, options);
  auto submit = [&](const std::string& id, std::promise<Status>& done) {
    std::vector<AuditEvent> events;
    events.push_back(AuditEvent::For(Context(), "resource.read", "Patient", id));
    batcher.Submit(std::move(events), [&done](Status status) { done.set_value(status); });
  };
  // A first batch of one holds the thread while three more queue: they make the second batch,
  // taken at once (the batch before it was small), which puts the batcher under load.
  std::promise<void> started, release;
  auto released = release.get_future().share();
  std::promise<Status> first;
  batcher.SubmitWork(
      [&started, released](storage::Transaction&, std::vector<AuditEvent>&) -> Status {
        started.set_value();
        released.wait();
        return Status::Ok();
      },
      [&](Status status) { first.set_value(status); });
  started.get_future().wait();
  std::promise<Status> loaded[3];
  for (int i = 0; i < 3; ++i) submit("load" + std::to_string(i), loaded[i]);
  release.set_value();
  for (auto& done : loaded) EXPECT_OK(done.get_future().get());
  EXPECT_OK(first.get_future().get());

  std::promise<Status> waiting[4];
  submit("w0", waiting[0]);
  auto w0 = waiting[0].get_future();
  EXPECT_EQ(w0.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  for (int i = 1; i < 4; ++i) submit("w" + std::to_string(i), waiting[i]);
  ASSERT_EQ(w0.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_OK(w0.get());
  for (int i = 1; i < 4; ++i) EXPECT_OK(waiting[i].get_future().get());
  EXPECT_EQ(AllEvents().size(), 7u);
}

}  // namespace
}  // namespace custos::audit
