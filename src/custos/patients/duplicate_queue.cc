#include "custos/patients/duplicate_queue.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "custos/audit/read_audit.h"
#include "custos/auth/permissions.h"
#include "custos/core/ids.h"

namespace custos::patients {
namespace {

using auth::Permission;

constexpr std::string_view kPairColumns =
    "pair_id, patient_a, patient_b, score, log_odds, decision, status, facility, note, "
    "created_at, updated_at";

bool KnownStatus(std::string_view status) {
  return status == "open" || status == "deferred" || status == "overlay" ||
         status == "not_duplicate" || status == "merged";
}

double Round2(double value) { return std::round(value * 100) / 100; }

std::vector<audit::AuditEvent> ReadEventsFor(const RequestContext& context,
                                             const std::set<std::string>& patients,
                                             std::string_view action) {
  std::vector<audit::AuditEvent> events;
  for (const auto& id : patients) {
    audit::AuditEvent event = audit::AuditEvent::For(context, std::string(action), "Patient", id);
    event.WithPatient(id);
    events.push_back(std::move(event));
  }
  return events;
}

}  // namespace

DuplicateQueue::DuplicateQueue(storage::Database& database, audit::AuditSink& audit,
                               const Clock& clock, Registry& registry)
    : database_(database), audit_(audit), clock_(clock), registry_(registry) {}

Result<std::vector<Json>> DuplicateQueue::Items(storage::Transaction& tx,
                                                const RequestContext& context,
                                                const std::string& where,
                                                const storage::Params& params,
                                                const std::string& tail) {
  (void)context;
  CUSTOS_ASSIGN_OR_RETURN(auto rows, tx.QueryAll("SELECT " + std::string(kPairColumns) +
                                                     " FROM mpi_pairs WHERE " + where + " " + tail,
                                                 params));
  std::vector<std::string> ids;
  for (const auto& row : rows) {
    ids.push_back(row.String(1));
    ids.push_back(row.String(2));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  CUSTOS_ASSIGN_OR_RETURN(auto patients, ReadPatients(tx, ids));
  auto summary = [&](const std::string& id) -> Json {
    for (const auto& [patient_id, patient] : patients) {
      if (patient_id == id) return PatientSummaryJson(id, patient);
    }
    return {{"patient_id", id}, {"name", ""}, {"missing", true}};
  };
  std::vector<Json> items;
  for (const auto& row : rows) {
    items.push_back({{"pair_id", row.String(0)},
                     {"patient_a", summary(row.String(1))},
                     {"patient_b", summary(row.String(2))},
                     {"score", Round2(row.Double(3))},
                     {"log_odds", Round2(row.Double(4))},
                     {"decision", row.String(5)},
                     {"status", row.String(6)},
                     {"facility", row.String(7)},
                     {"note", row.String(8)},
                     {"created_at", row.String(9)},
                     {"updated_at", row.String(10)}});
  }
  return items;
}

Result<QueuePage> DuplicateQueue::List(const RequestContext& context, const QueueQuery& query) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, Permission::kPatientsMerge));
  if (!KnownStatus(query.status)) {
    return Status::InvalidArgument(
        "status must be one of open, deferred, overlay, not_duplicate, merged", "status");
  }
  std::string order;
  if (query.sort == "score") {
    order = "ORDER BY score DESC, created_at, pair_id";
  } else if (query.sort == "age") {
    order = "ORDER BY created_at, pair_id";
  } else if (query.sort == "facility") {
    order = "ORDER BY facility, score DESC, pair_id";
  } else {
    return Status::InvalidArgument("sort must be one of score, age, facility", "sort");
  }
  std::int64_t offset = 0;
  if (!query.cursor.empty()) {
    const auto [ptr, error] =
        std::from_chars(query.cursor.data(), query.cursor.data() + query.cursor.size(), offset);
    if (error != std::errc() || ptr != query.cursor.data() + query.cursor.size() || offset < 0) {
      return Status::InvalidArgument("cursor is not one this server gave out", "cursor");
    }
  }
  QueuePage page;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_ASSIGN_OR_RETURN(page.items, Items(*tx, context, "status = $1",
                                              {query.status, std::int64_t{query.limit + 1}, offset},
                                              order + " LIMIT $2 OFFSET $3"));
  }
  if (static_cast<int>(page.items.size()) > query.limit) {
    page.items.pop_back();
    page.next_cursor = std::to_string(offset + query.limit);
  }
  std::set<std::string> shown;
  for (const auto& item : page.items) {
    shown.insert(item["patient_a"]["patient_id"].get<std::string>());
    shown.insert(item["patient_b"]["patient_id"].get<std::string>());
  }
  if (!shown.empty()) {
    CUSTOS_RETURN_IF_ERROR(audit::RecordRead(database_, audit_, context,
                                             ReadEventsFor(context, shown, "patient.read")));
  }
  return page;
}

Result<Json> DuplicateQueue::Get(const RequestContext& context, const std::string& pair_id) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, Permission::kPatientsMerge));
  Json item;
  std::vector<std::pair<std::string, Json>> patients;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_ASSIGN_OR_RETURN(auto items, Items(*tx, context, "pair_id = $1", {pair_id}, ""));
    if (items.empty()) return Status::NotFound("no pair " + pair_id + " in the duplicate queue");
    item = std::move(items.front());
    CUSTOS_ASSIGN_OR_RETURN(
        patients, ReadPatients(*tx, {item["patient_a"]["patient_id"].get<std::string>(),
                                     item["patient_b"]["patient_id"].get<std::string>()}));
  }
  // The explanation as the engine sees the two records today.
  if (patients.size() == 2) {
    const PatientIndex& index = registry_.index();
    Result<IndexCandidate> explained = index.Explain(patients[0].first, patients[1].first);
    if (!explained.ok()) {
      explained = index.Compare(patients[0].first,
                                PersonFromPatient(patients[1].first, patients[1].second));
    }
    if (!explained.ok()) {
      explained = index.Compare(patients[1].first,
                                PersonFromPatient(patients[0].first, patients[0].second));
    }
    if (explained.ok()) {
      item["fields"] = ExplanationFieldsJson(explained->explanation);
      item["capped_by"] = explained->explanation.capped_by;
      item["current_score"] = Round2(explained->score);
      item["current_decision"] = DecisionName(explained->decision);
    }
  }
  std::set<std::string> shown = {item["patient_a"]["patient_id"].get<std::string>(),
                                 item["patient_b"]["patient_id"].get<std::string>()};
  CUSTOS_RETURN_IF_ERROR(
      audit::RecordRead(database_, audit_, context, ReadEventsFor(context, shown, "patient.read")));
  return item;
}

Result<Json> DuplicateQueue::Decide(const RequestContext& context, const std::string& pair_id,
                                    const std::string& action, const std::string& note) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, Permission::kPatientsMerge));
  std::string status;
  if (action == "not_duplicate") {
    status = "not_duplicate";
  } else if (action == "defer") {
    status = "deferred";
  } else if (action == "overlay") {
    status = "overlay";
  } else {
    return Status::InvalidArgument("action must be not_duplicate, defer or overlay", "action");
  }
  if (note.size() > 2000) {
    return Status::InvalidArgument("note must be at most 2000 characters", "note");
  }
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(
      auto row, tx->QueryOne("SELECT status, patient_a, patient_b, score FROM mpi_pairs WHERE "
                             "pair_id = $1",
                             {pair_id}));
  if (!row) return Status::NotFound("no pair " + pair_id + " in the duplicate queue");
  if (row->Text(0) == "merged") {
    return Status::Conflict("the pair was merged; unmerge it first").WithReason("already_merged");
  }
  const std::string now = FormatTimestamp(clock_.Now());
  CUSTOS_RETURN_IF_ERROR(
      tx->Execute(
            "UPDATE mpi_pairs SET status = $1, note = $2, decided_by = $3, updated_at = $4 WHERE "
            "pair_id = $5",
            {status, note, context.actor_id, now, pair_id})
          .status());
  for (int column : {1, 2}) {
    audit::AuditEvent event =
        audit::AuditEvent::For(context, "mpi.pair." + action, "mpi_pair", pair_id);
    event.WithPatient(row->String(column))
        .WithDetails({{"patient_a", row->String(1)},
                      {"patient_b", row->String(2)},
                      {"score", row->Double(3)},
                      {"previous_status", row->String(0)}});
    CUSTOS_RETURN_IF_ERROR(audit_.Record(*tx, std::move(event)));
  }
  CUSTOS_ASSIGN_OR_RETURN(auto items, Items(*tx, context, "pair_id = $1", {pair_id}, ""));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return items.front();
}

Result<std::vector<Json>> DuplicateQueue::Overlays(const RequestContext& context) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, Permission::kAuditRead));
  std::vector<Json> items;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_ASSIGN_OR_RETURN(
        items, Items(*tx, context, "status = 'overlay'", {}, "ORDER BY updated_at DESC LIMIT 500"));
  }
  std::set<std::string> shown;
  for (const auto& item : items) {
    shown.insert(item["patient_a"]["patient_id"].get<std::string>());
    shown.insert(item["patient_b"]["patient_id"].get<std::string>());
  }
  if (!shown.empty()) {
    CUSTOS_RETURN_IF_ERROR(audit::RecordRead(database_, audit_, context,
                                             ReadEventsFor(context, shown, "patient.read")));
  }
  return items;
}

Result<int> DuplicateQueue::Propose(const RequestContext& context,
                                    const std::vector<ProposedPair>& pairs) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, Permission::kPatientsMerge));
  const std::string now = FormatTimestamp(clock_.Now());
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  int added = 0;
  for (const auto& pair : pairs) {
    if (pair.patient_a == pair.patient_b) continue;
    const bool ordered = pair.patient_a < pair.patient_b;
    CUSTOS_ASSIGN_OR_RETURN(
        std::int64_t changed,
        tx->Execute("INSERT INTO mpi_pairs (pair_id, patient_a, patient_b, score, log_odds, "
                    "decision, status, facility, source, created_at, updated_at) VALUES ($1, $2, "
                    "$3, $4, $5, $6, 'open', '', 'batch', $7, $7) ON CONFLICT (patient_a, "
                    "patient_b) DO NOTHING",
                    {NewId(clock_.Now()), ordered ? pair.patient_a : pair.patient_b,
                     ordered ? pair.patient_b : pair.patient_a, pair.score, pair.log_odds,
                     std::string(DecisionName(pair.decision)), now}));
    added += static_cast<int>(changed);
  }
  audit::AuditEvent event = audit::AuditEvent::For(context, "mpi.batch.propose", "mpi_pair", "");
  event.WithDetails({{"pairs", pairs.size()}, {"added", added}});
  CUSTOS_RETURN_IF_ERROR(audit_.Record(*tx, std::move(event)));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return added;
}

Result<Json> DuplicateQueue::Report(const RequestContext& context, int months) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, Permission::kPatientsMerge));
  if (months < 1 || months > 120) {
    return Status::InvalidArgument("months must be from 1 to 120", "months");
  }
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
  CUSTOS_ASSIGN_OR_RETURN(std::int64_t registry_size,
                          tx->QueryInt("SELECT COUNT(*) FROM resources WHERE resource_type = "
                                       "'Patient' AND deleted = 0"));
  CUSTOS_ASSIGN_OR_RETURN(std::int64_t merged,
                          tx->QueryInt("SELECT COUNT(*) FROM mpi_merges WHERE status = 'merged'"));
  CUSTOS_ASSIGN_OR_RETURN(
      std::int64_t open_pairs,
      tx->QueryInt("SELECT COUNT(*) FROM mpi_pairs WHERE status IN ('open', 'deferred')"));
  const std::int64_t active = registry_size - merged;

  // The months to report, oldest first, ending with this one.
  const auto today = std::chrono::floor<std::chrono::days>(clock_.Now());
  std::chrono::year_month current{std::chrono::year_month_day(today).year(),
                                  std::chrono::year_month_day(today).month()};
  std::vector<std::string> labels;
  for (int i = months - 1; i >= 0; --i) {
    const std::chrono::year_month month = current - std::chrono::months(i);
    char text[24];
    std::snprintf(text, sizeof text, "%04d-%02u", static_cast<int>(month.year()),
                  static_cast<unsigned>(month.month()));
    labels.emplace_back(text);
  }
  const std::string first = labels.front() + "-01";

  std::map<std::string, Json> by_month;
  for (const auto& label : labels) {
    by_month[label] = {{"month", label},
                       {"registrations", 0},
                       {"duplicates_created", 0},
                       {"creation_rate", 0.0},
                       {"merges", 0}};
  }
  auto add = [&](const std::string& sql, const char* key) -> Status {
    return tx->Query(sql, {first}, [&](const storage::Row& row) {
      auto it = by_month.find(row.String(0));
      if (it != by_month.end()) it->second[key] = row.Int(1);
      return true;
    });
  };
  CUSTOS_RETURN_IF_ERROR(
      add("SELECT SUBSTR(registered_at, 1, 7), COUNT(*) FROM mpi_registrations WHERE registered_at "
          ">= $1 GROUP BY SUBSTR(registered_at, 1, 7)",
          "registrations"));
  // A registration created a duplicate when it was made despite a candidate, or when it later
  // turned out to be one (an open pair or a merge names it).
  CUSTOS_RETURN_IF_ERROR(add(
      "SELECT SUBSTR(g.registered_at, 1, 7), COUNT(*) FROM mpi_registrations g WHERE "
      "g.registered_at >= $1 AND (g.candidates > 0 OR EXISTS (SELECT 1 FROM mpi_pairs p WHERE "
      "p.status IN ('open', 'deferred', 'merged') AND (p.patient_a = g.patient_id OR p.patient_b "
      "= g.patient_id))) GROUP BY SUBSTR(g.registered_at, 1, 7)",
      "duplicates_created"));
  CUSTOS_RETURN_IF_ERROR(
      add("SELECT SUBSTR(merged_at, 1, 7), COUNT(*) FROM mpi_merges WHERE merged_at >= $1 GROUP BY "
          "SUBSTR(merged_at, 1, 7)",
          "merges"));
  Json series = Json::array();
  for (const auto& label : labels) {
    Json& month = by_month[label];
    const auto registrations = month["registrations"].get<std::int64_t>();
    const auto duplicates = month["duplicates_created"].get<std::int64_t>();
    month["creation_rate"] =
        registrations > 0 ? static_cast<double>(duplicates) / static_cast<double>(registrations)
                          : 0.0;
    series.push_back(month);
  }
  return Json{{"registry_size", registry_size},
              {"active_patients", active},
              {"duplicates_open", open_pairs},
              {"duplicate_rate",
               active > 0 ? static_cast<double>(open_pairs) / static_cast<double>(active) : 0.0},
              {"series", series}};
}

}  // namespace custos::patients
