#include "custos/audit/audit_trail.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "custos/core/crypto.h"

namespace custos::audit {

namespace {

// Serialises appends on PostgreSQL (SQLite's BEGIN IMMEDIATE already does): the chain has one
// head, so two transactions must never both extend it.
constexpr std::int64_t kAuditLockKey = 0x61756469740a;

constexpr std::string_view kEventColumns =
    "seq, time, actor, actor_name, role, action, object_type, object_id, patient_id, "
    "purpose_of_use, outcome, source_address, request_id, details, prev_hash, hash";

Status LockChain(storage::Transaction& tx) {
  if (tx.backend() != storage::Backend::kPostgres) return Status::Ok();
  return tx.Query("SELECT pg_advisory_xact_lock($1)", {kAuditLockKey},
                  [](const storage::Row&) { return true; });
}

AuditEvent EventFromRow(const storage::Row& row) {
  AuditEvent event;
  event.sequence = row.Int(0);
  event.time = ParseTimestamp(row.Text(1)).value_or(Timestamp{});
  event.actor = row.String(2);
  event.actor_name = row.String(3);
  event.role = row.String(4);
  event.action = row.String(5);
  event.object_type = row.String(6);
  event.object_id = row.String(7);
  event.patient_id = row.OptionalString(8);
  event.purpose_of_use = row.String(9);
  event.outcome = row.String(10);
  event.source_address = row.String(11);
  event.request_id = row.String(12);
  event.details = row.String(13);
  event.prev_hash = row.String(14);
  event.hash = row.String(15);
  return event;
}

// WHERE clause and parameters for a filter; `$N` numbering continues from params.size().
std::string WhereClause(const AuditFilter& filter, storage::Params& params, bool with_cursor) {
  std::string where = " WHERE 1=1";
  auto add = [&](std::string_view column, std::string_view op, storage::Param value) {
    params.push_back(std::move(value));
    where += " AND ";
    where += column;
    where += op;
    where += "$" + std::to_string(params.size());
  };
  if (filter.actor_name) add("actor_name", " = ", *filter.actor_name);
  if (filter.patient_id) add("patient_id", " = ", *filter.patient_id);
  if (filter.action) add("action", " = ", *filter.action);
  if (filter.object_type) add("object_type", " = ", *filter.object_type);
  if (filter.object_id) add("object_id", " = ", *filter.object_id);
  if (filter.outcome) add("outcome", " = ", *filter.outcome);
  if (filter.from) add("time", " >= ", FormatTimestamp(*filter.from));
  if (filter.to) add("time", " < ", FormatTimestamp(*filter.to));
  if (with_cursor && filter.before_sequence) add("seq", " < ", *filter.before_sequence);
  return where;
}

struct Checkpoint {
  std::int64_t sequence = 0;
  std::string hash;
  std::string time;
  std::string key_id;
  std::string signature;
  std::string source;  // "table" or "anchor file"
};

}  // namespace

AuditTrail::AuditTrail(const Clock& clock, std::shared_ptr<const CheckpointSigner> signer,
                       AuditTrailOptions options)
    : clock_(clock), signer_(std::move(signer)), options_(std::move(options)) {}

Status AuditTrail::Record(storage::Transaction& tx, AuditEvent event) {
  std::vector<AuditEvent> events;
  events.push_back(std::move(event));
  return RecordAll(tx, events);
}

Status AuditTrail::RecordAll(storage::Transaction& tx, std::vector<AuditEvent>& events) {
  if (events.empty()) return Status::Ok();
  std::optional<ChainHead> cached;
  {
    std::lock_guard lock(heads_mutex_);
    for (const auto& head : heads_) {
      if (head.transaction_serial == tx.serial()) cached = head;
    }
  }
  ChainHead head;
  if (cached) {
    head = std::move(*cached);
  } else {
    CUSTOS_RETURN_IF_ERROR(LockChain(tx));
    head = ChainHead{tx.serial(), 0, std::string(kGenesisHash)};
    CUSTOS_RETURN_IF_ERROR(tx.Query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
                                    {}, [&](const storage::Row& row) {
                                      head.sequence = row.Int(0);
                                      head.hash = row.String(1);
                                      return false;
                                    }));
  }
  std::vector<std::string> times;
  times.reserve(events.size());
  for (auto& event : events) {
    event.sequence = head.sequence + 1;
    event.time = clock_.Now();
    event.prev_hash = head.hash;
    event.hash = ComputeEventHash(event);
    times.push_back(FormatTimestamp(event.time));
    head.sequence = event.sequence;
    head.hash = event.hash;
  }
  // Many rows per statement: a batch of reads' events costs one round trip, not one each. As
  // many as a batch of reads usually holds: at 64 concurrent reads on PostgreSQL, 46 % of the
  // batches held more than 32 events, and their second statement was a round trip more.
  constexpr size_t kRowsPerStatement = 64;
  constexpr int kColumns = 16;
  for (size_t start = 0; start < events.size(); start += kRowsPerStatement) {
    const size_t count = std::min(kRowsPerStatement, events.size() - start);
    std::string sql =
        "INSERT INTO audit_events (seq, time, actor, actor_name, role, action, object_type, "
        "object_id, patient_id, purpose_of_use, outcome, source_address, request_id, details, "
        "prev_hash, hash) VALUES ";
    storage::Params params;
    params.reserve(count * kColumns);
    sql += storage::RowPlaceholders(kColumns, count);
    for (size_t row = 0; row < count; ++row) {
      const AuditEvent& event = events[start + row];
      for (storage::Param param :
           {storage::Param(event.sequence), storage::Param(times[start + row]),
            storage::Param(event.actor), storage::Param(event.actor_name),
            storage::Param(event.role), storage::Param(event.action),
            storage::Param(event.object_type), storage::Param(event.object_id),
            storage::Param(event.patient_id), storage::Param(event.purpose_of_use),
            storage::Param(event.outcome), storage::Param(event.source_address),
            storage::Param(event.request_id), storage::Param(event.details),
            storage::Param(event.prev_hash), storage::Param(event.hash)}) {
        params.push_back(std::move(param));
      }
    }
    CUSTOS_RETURN_IF_ERROR(tx.Execute(sql, params).status());
  }
  {
    // Keep the heads of the most recent transactions; more than run at once on any pool.
    constexpr size_t kHeadsKept = 64;
    std::lock_guard lock(heads_mutex_);
    auto it = std::find_if(heads_.begin(), heads_.end(), [&](const ChainHead& h) {
      return h.transaction_serial == head.transaction_serial;
    });
    if (it != heads_.end()) {
      *it = head;
    } else if (heads_.size() < kHeadsKept) {
      heads_.push_back(head);
    } else {
      *std::min_element(heads_.begin(), heads_.end(), [](const ChainHead& a, const ChainHead& b) {
        return a.transaction_serial < b.transaction_serial;
      }) = head;
    }
  }
  if (signer_ && options_.checkpoint_every_events > 0) {
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i].sequence % options_.checkpoint_every_events == 0) {
        CUSTOS_RETURN_IF_ERROR(
            InsertCheckpoint(tx, events[i].sequence, events[i].hash, times[i], nullptr));
      }
    }
  }
  return Status::Ok();
}

Status AuditTrail::InsertCheckpoint(storage::Transaction& tx, std::int64_t sequence,
                                    const std::string& hash, const std::string& time,
                                    std::string* anchor_line) {
  const std::string signature = signer_->Sign(CheckpointMessage(sequence, hash, time));
  CUSTOS_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO audit_checkpoints (seq, hash, time, key_id, signature) "
                 "VALUES ($1, $2, $3, $4, $5)",
                 {sequence, hash, time, signer_->key_id(), signature})
          .status());
  if (anchor_line) {
    *anchor_line = Json{
        {"seq", sequence},
        {"hash", hash},
        {"time", time},
        {"key_id", signer_->key_id()},
        {"signature",
         signature}}.dump();
  }
  return Status::Ok();
}

Result<std::int64_t> AuditTrail::WriteCheckpoint(storage::Database& database) {
  if (!signer_) return Status::FailedPrecondition("no audit signing key");
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database.Begin());
  CUSTOS_RETURN_IF_ERROR(LockChain(*tx));
  CUSTOS_ASSIGN_OR_RETURN(
      auto head, tx->QueryOne("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"));
  if (!head) return std::int64_t{0};
  const std::int64_t sequence = head->Int(0);
  std::string anchor_line;
  CUSTOS_ASSIGN_OR_RETURN(
      const std::int64_t existing,
      tx->QueryInt("SELECT COUNT(*) FROM audit_checkpoints WHERE seq = $1", {sequence}));
  if (existing == 0) {
    CUSTOS_RETURN_IF_ERROR(InsertCheckpoint(*tx, sequence, head->String(1),
                                            FormatTimestamp(clock_.Now()), &anchor_line));
  } else {
    CUSTOS_ASSIGN_OR_RETURN(auto row, tx->QueryOne("SELECT seq, hash, time, key_id, signature FROM "
                                                   "audit_checkpoints WHERE seq = $1",
                                                   {sequence}));
    anchor_line = Json{{"seq", row->Int(0)},
                       {"hash", row->String(1)},
                       {"time", row->String(2)},
                       {"key_id", row->String(3)},
                       {"signature", row->String(4)}}
                      .dump();
  }
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  if (!options_.anchor_file.empty()) {
    static std::mutex anchor_mutex;
    std::lock_guard lock(anchor_mutex);
    std::ofstream out(options_.anchor_file, std::ios::app);
    out << anchor_line << "\n";
    if (!out.flush()) return Status::Unavailable("cannot append to audit anchor file");
  }
  return sequence;
}

Result<AuditPage> AuditTrail::Search(storage::Transaction& tx, const AuditFilter& filter) const {
  storage::Params params;
  const std::string where = WhereClause(filter, params, true);  // fills params first
  const std::string sql = "SELECT " + std::string(kEventColumns) + " FROM audit_events" + where +
                          " ORDER BY seq DESC LIMIT $" + std::to_string(params.size() + 1);
  const int limit = std::max(1, filter.limit);
  params.push_back(std::int64_t{limit} + 1);
  AuditPage page;
  CUSTOS_RETURN_IF_ERROR(tx.Query(sql, params, [&](const storage::Row& row) {
    page.events.push_back(EventFromRow(row));
    return true;
  }));
  if (static_cast<int>(page.events.size()) > limit) {
    page.events.pop_back();
    page.next_before_sequence = page.events.back().sequence;
  }
  return page;
}

Status AuditTrail::ForEach(storage::Transaction& tx, const AuditFilter& filter,
                           const std::function<void(const AuditEvent&)>& visit) const {
  storage::Params params;
  const std::string sql = "SELECT " + std::string(kEventColumns) + " FROM audit_events" +
                          WhereClause(filter, params, false) + " ORDER BY seq DESC";
  return tx.Query(sql, params, [&](const storage::Row& row) {
    visit(EventFromRow(row));
    return true;
  });
}

Result<std::int64_t> AuditTrail::Count(storage::Transaction& tx, const AuditFilter& filter) const {
  storage::Params params;
  const std::string sql = "SELECT COUNT(*) FROM audit_events" + WhereClause(filter, params, false);
  return tx.QueryInt(sql, params);
}

Result<std::int64_t> AuditTrail::Length(storage::Transaction& tx) {
  return tx.QueryInt("SELECT COALESCE(MAX(seq), 0) FROM audit_events");
}

namespace {

// What one worker found in its slice [first, last] of the chain.
struct SliceReport {
  std::int64_t events = 0;
  std::int64_t checkpoints = 0;
  std::int64_t last_sequence = 0;  // the last good event read
  std::string first_prev_hash;     // prev_hash of the slice's first event, to join the slices
  std::string last_hash;
  std::optional<std::int64_t> bad_sequence;
  std::string problem;
};

// Compares a digest with its stored lower-case hex form without building a string.
bool HashMatches(const Sha256Digest& digest, std::string_view hex) {
  static constexpr char kDigits[] = "0123456789abcdef";
  if (hex.size() != 2 * digest.size()) return false;
  for (size_t i = 0; i < digest.size(); ++i) {
    if (hex[2 * i] != kDigits[digest[i] >> 4] || hex[2 * i + 1] != kDigits[digest[i] & 15]) {
      return false;
    }
  }
  return true;
}

Status VerifySlice(storage::Database& database, std::int64_t first, std::int64_t last,
                   const std::multimap<std::int64_t, Checkpoint>& checkpoints, SliceReport& out) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database.Begin(storage::TransactionMode::kReadOnly));
  std::int64_t expected = first;
  std::string previous_hash;
  std::string encoding;
  auto next_checkpoint = checkpoints.lower_bound(first);
  auto fail = [&out](std::int64_t sequence, std::string problem) {
    out.bad_sequence = sequence;
    out.problem = std::move(problem);
    return false;
  };
  CUSTOS_RETURN_IF_ERROR(tx->Query(
      "SELECT " + std::string(kEventColumns) +
          " FROM audit_events WHERE seq >= $1 AND seq <= $2 ORDER BY seq",
      {first, last}, [&](const storage::Row& row) {
        const std::int64_t sequence = row.Int(0);
        ++out.events;
        if (sequence != expected) {
          return fail(expected, sequence > expected
                                    ? "event " + std::to_string(expected) + " is missing"
                                    : "sequence out of order");
        }
        // SQLite would print the integer into a fresh allocation; a stack buffer will do.
        char sequence_text[24];
        const auto printed =
            std::to_chars(sequence_text, sequence_text + sizeof sequence_text, sequence);
        EventFieldViews fields{
            std::string_view(sequence_text, static_cast<size_t>(printed.ptr - sequence_text)),
            row.Text(1),
            row.Text(2),
            row.Text(3),
            row.Text(4),
            row.Text(5),
            row.Text(6),
            row.Text(7),
            std::nullopt,
            row.Text(9),
            row.Text(10),
            row.Text(11),
            row.Text(12),
            row.Text(13),
            row.Text(14)};
        if (!row.IsNull(8)) fields.patient_id = row.Text(8);
        const std::string_view stored_hash = row.Text(15);
        if (sequence == first) {
          out.first_prev_hash.assign(fields.prev_hash);
        } else if (fields.prev_hash != previous_hash) {
          return fail(sequence, "event " + std::to_string(sequence) +
                                    " does not chain to the event before it");
        }
        encoding.clear();
        AppendCanonicalEncoding(fields, encoding);
        if (!HashMatches(Sha256(encoding), stored_hash)) {
          return fail(sequence,
                      "event " + std::to_string(sequence) + " was altered (hash mismatch)");
        }
        for (; next_checkpoint != checkpoints.end() && next_checkpoint->first <= sequence;
             ++next_checkpoint) {
          if (next_checkpoint->first != sequence) continue;
          ++out.checkpoints;
          if (next_checkpoint->second.hash != stored_hash) {
            return fail(sequence, "event " + std::to_string(sequence) +
                                      " differs from its signed checkpoint (" +
                                      next_checkpoint->second.source + ")");
          }
        }
        previous_hash.assign(stored_hash);
        out.last_sequence = sequence;
        ++expected;
        return true;
      }));
  if (!out.bad_sequence && out.last_sequence != last) {
    fail(expected, "event " + std::to_string(expected) + " is missing");
  }
  out.last_hash = previous_hash;
  return Status::Ok();
}

}  // namespace

Result<VerifyReport> AuditTrail::Verify(storage::Database& database, const VerifyOptions& options) {
  VerifyReport report;
  auto fail = [&report](std::int64_t sequence, std::string problem) {
    if (!report.first_bad_sequence || sequence < *report.first_bad_sequence) {
      report.ok = false;
      report.first_bad_sequence = sequence;
      report.problem = std::move(problem);
    }
  };

  // One snapshot fixes what is verified: the last sequence and every checkpoint. Events appended
  // while verification runs are left for the next run.
  std::int64_t last = 0;
  std::multimap<std::int64_t, Checkpoint> checkpoints;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_ASSIGN_OR_RETURN(last, Length(*tx));
    // Sequences start at 1: anything below was put there by hand.
    CUSTOS_ASSIGN_OR_RETURN(auto below,
                            tx->QueryOne("SELECT MIN(seq) FROM audit_events WHERE seq < 1"));
    if (below && !below->IsNull(0)) {
      fail(below->Int(0),
           "event " + std::to_string(below->Int(0)) + " should not exist: sequences start at 1");
    }
    CUSTOS_RETURN_IF_ERROR(tx->Query(
        "SELECT seq, hash, time, key_id, signature FROM audit_checkpoints", {},
        [&](const storage::Row& row) {
          checkpoints.emplace(row.Int(0), Checkpoint{row.Int(0), row.String(1), row.String(2),
                                                     row.String(3), row.String(4), "table"});
          return true;
        }));
  }
  if (!options.anchor_file.empty()) {
    std::ifstream in(options.anchor_file);
    std::string line;
    int line_number = 0;
    while (std::getline(in, line)) {
      ++line_number;
      if (line.empty()) continue;
      Json json = Json::parse(line, nullptr, false);
      if (json.is_discarded() || !json.contains("seq") || !json["seq"].is_number_integer()) {
        fail(1, "anchor file line " + std::to_string(line_number) + " is not a checkpoint");
        continue;
      }
      Checkpoint anchor{json["seq"].get<std::int64_t>(), json.value("hash", ""),
                        json.value("time", ""),          json.value("key_id", ""),
                        json.value("signature", ""),     "anchor file"};
      checkpoints.emplace(anchor.sequence, std::move(anchor));
    }
  }
  for (const auto& [sequence, checkpoint] : checkpoints) {
    bool trusted = false;
    for (const auto& key : options.trusted_public_keys) {
      trusted = trusted || (CheckpointSigner::KeyIdOf(key) == checkpoint.key_id &&
                            CheckpointSigner::VerifySignature(
                                key, CheckpointMessage(sequence, checkpoint.hash, checkpoint.time),
                                checkpoint.signature));
    }
    if (!trusted) {
      fail(sequence, "checkpoint at sequence " + std::to_string(sequence) + " (" +
                         checkpoint.source + ") has no valid signature from a trusted key");
    }
  }

  // Slices verified in parallel, then joined: each slice's first event must chain to the last
  // event of the slice before it.
  const int threads =
      static_cast<int>(std::clamp<std::int64_t>(last / 50000, 1, std::max(1, options.threads)));
  std::vector<SliceReport> slices(static_cast<size_t>(threads));
  std::vector<Status> statuses(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  const std::int64_t per_slice = last / threads;
  for (int i = 0; i < threads; ++i) {
    const std::int64_t first = 1 + i * per_slice;
    const std::int64_t end = i + 1 == threads ? last : (i + 1) * per_slice;
    workers.emplace_back([&, i, first, end] {
      statuses[static_cast<size_t>(i)] =
          VerifySlice(database, first, end, checkpoints, slices[static_cast<size_t>(i)]);
    });
  }
  for (auto& worker : workers) worker.join();
  std::string previous_hash(kGenesisHash);
  for (int i = 0; i < threads; ++i) {
    CUSTOS_RETURN_IF_ERROR(statuses[static_cast<size_t>(i)]);
    const SliceReport& slice = slices[static_cast<size_t>(i)];
    report.events_checked += slice.events;
    report.checkpoints_checked += slice.checkpoints;
    const std::int64_t first = 1 + i * per_slice;
    if (slice.bad_sequence) fail(*slice.bad_sequence, slice.problem);
    if (slice.events > 0 && !slice.bad_sequence && slice.first_prev_hash != previous_hash) {
      fail(first, "event " + std::to_string(first) + " does not chain to the event before it");
    }
    previous_hash = slice.last_hash;
    if (!slice.bad_sequence && report.ok) report.last_sequence = slice.last_sequence;
  }
  auto beyond = checkpoints.upper_bound(last);
  if (beyond != checkpoints.end()) {
    fail(last + 1, "the trail ends at sequence " + std::to_string(last) +
                       " but a signed checkpoint (" + beyond->second.source +
                       ") vouches for sequence " + std::to_string(beyond->first) +
                       ": events were removed from the end");
  }
  return report;
}

}  // namespace custos::audit
