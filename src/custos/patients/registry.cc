#include "custos/patients/registry.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "custos/audit/read_audit.h"
#include "custos/auth/permissions.h"
#include "custos/clinical/resource_codec.h"
#include "custos/core/ids.h"

namespace custos::patients {
namespace {

using auth::Permission;

// How far before the previous look's start each catch-up looks: a transaction that took its
// timestamp before that look but committed after it still shows up.
constexpr std::chrono::seconds kCatchUpOverlap{2};
// Searches within this long of the last catch-up trust the index as it is.
constexpr std::int64_t kCatchUpIntervalUs = 250'000;

std::int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool Indexable(const Json& patient) { return ReplacedBy(patient).empty(); }

// Current Patients: select r.id and kContentColumns (read with StoredPatient at column 1), then
// add conditions.
const std::string kCurrentPatients =
    "SELECT r.id, " + std::string(clinical::kContentColumns) +
    " FROM resources r JOIN resource_versions v ON v.rid = r.rid AND v.version = r.version "
    "WHERE r.resource_type = 'Patient' AND r.deleted = 0";

// The stored JSON of Patient/`id` from a row holding kContentColumns at `column`.
Result<Json> StoredPatient(const storage::Row& row, int column, const std::string& id) {
  auto text = clinical::ContentFromRow(row, column);
  auto patient = text.ok() ? ParseJsonObject(*text) : Result<Json>(text.status());
  if (!patient.ok()) return Status::Internal("stored Patient/" + id + " is not JSON");
  return patient;
}

}  // namespace

Json ExplanationFieldsJson(const PairExplanation& explanation) {
  Json fields = Json::array();
  for (const auto& field : explanation.fields) {
    fields.push_back({{"field", FieldName(field.field)},
                      {"level", field.level},
                      {"weight", std::round(field.weight * 100) / 100}});
  }
  return fields;
}

Json CandidateJson(const MatchCandidate& candidate) {
  Json json = candidate.summary;
  json["score"] = std::round(candidate.match.score * 100) / 100;
  json["log_odds"] = std::round(candidate.match.log_odds * 100) / 100;
  json["decision"] = DecisionName(candidate.match.decision);
  json["fields"] = ExplanationFieldsJson(candidate.match.explanation);
  json["capped_by"] = candidate.match.explanation.capped_by;
  return json;
}

RequestContext WithClinicalWrite(const RequestContext& context) {
  RequestContext elevated = context;
  elevated.permission_bits |= auth::Bit(Permission::kClinicalWrite);
  return elevated;
}

Result<std::vector<std::pair<std::string, Json>>> ReadPatients(
    storage::Transaction& tx, const std::vector<std::string>& ids) {
  std::vector<std::pair<std::string, Json>> patients;
  if (ids.empty()) return patients;
  const std::string select = kCurrentPatients + " AND ";
  Status failure;
  auto take = [&](const storage::Row& row) {
    std::string id = row.String(0);
    auto patient = StoredPatient(row, 1, id);
    if (!patient.ok()) {
      failure = patient.status();
      return false;
    }
    patients.emplace_back(std::move(id), std::move(*patient));
    return true;
  };
  if (tx.backend() == storage::Backend::kSqlite) {
    // One primary-key lookup per id with the same statement: SQLite builds a temporary B-tree of
    // an `id IN (…)` list for every call, which cost more than the lookups themselves.
    for (const auto& id : ids) {
      CUSTOS_RETURN_IF_ERROR(tx.Query(select + "r.id = $1", {id}, take));
      CUSTOS_RETURN_IF_ERROR(failure);
    }
    return patients;
  }
  // PostgreSQL: one statement, since every statement is a round trip.
  storage::Params params;
  std::string list;
  for (const auto& id : ids) {
    params.emplace_back(id);
    list += (list.empty() ? "$" : ", $") + std::to_string(params.size());
  }
  CUSTOS_RETURN_IF_ERROR(tx.Query(select + "r.id IN (" + list + ")", params, take));
  CUSTOS_RETURN_IF_ERROR(failure);
  // In the order asked for.
  std::vector<std::pair<std::string, Json>> ordered;
  ordered.reserve(patients.size());
  for (const auto& id : ids) {
    for (auto& patient : patients) {
      if (patient.first == id && !patient.second.is_null()) {
        ordered.push_back(std::move(patient));
        patient.second = nullptr;
        break;
      }
    }
  }
  return ordered;
}

Result<PreparedList> ReadRegistryPrepared(storage::Database& database,
                                          const std::function<void(size_t, size_t)>& progress) {
  const NicknameTable& nicknames = NicknameTable::Default();
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database.Begin(storage::TransactionMode::kReadOnly));
  CUSTOS_ASSIGN_OR_RETURN(const std::int64_t total,
                          tx->QueryInt("SELECT COUNT(*) FROM resources WHERE resource_type = "
                                       "'Patient' AND deleted = 0"));
  PreparedList list;
  list.ids.reserve(static_cast<size_t>(total));
  list.records.reserve(static_cast<size_t>(total));
  size_t seen = 0;
  Status failure;
  CUSTOS_RETURN_IF_ERROR(
      tx->Query(kCurrentPatients + " ORDER BY r.rid", {}, [&](const storage::Row& row) {
        std::string id = row.String(0);
        auto patient = StoredPatient(row, 1, id);
        if (!patient.ok()) {
          failure = patient.status();
          return false;
        }
        if (Indexable(*patient)) {
          list.records.push_back(PrepareRecord(PersonFromPatient(id, *patient), nicknames));
          list.ids.push_back(std::move(id));
        }
        if (++seen % 10000 == 0 && progress) progress(seen, static_cast<size_t>(total));
        return true;
      }));
  CUSTOS_RETURN_IF_ERROR(failure);
  if (progress) progress(seen, static_cast<size_t>(total));
  return list;
}

Registry::Registry(storage::Database& database, audit::AuditSink& audit, const Clock& clock,
                   clinical::ResourceStore& store, MatchModel model)
    : database_(database),
      audit_(audit),
      clock_(clock),
      store_(store),
      index_(std::make_unique<PatientIndex>(std::move(model))) {}

Registry::~Registry() = default;

Status Registry::Load() {
  std::lock_guard lock(catch_up_mutex_);
  const Timestamp started = clock_.Now();
  CUSTOS_RETURN_IF_ERROR(CatchUpSince("", started));
  last_catch_up_us_ = SteadyMicros();
  return Status::Ok();
}

Status Registry::CatchUp() {
  std::lock_guard lock(catch_up_mutex_);
  const Timestamp started = clock_.Now();
  const std::string since = last_look_ ? FormatTimestamp(*last_look_ - kCatchUpOverlap) : "";
  CUSTOS_RETURN_IF_ERROR(CatchUpSince(since, started));
  last_catch_up_us_ = SteadyMicros();
  return Status::Ok();
}

Status Registry::CatchUpSince(const std::string& since, Timestamp started) {
  const std::string window_start = FormatTimestamp(started - kCatchUpOverlap);
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
  Status parse_error;
  CUSTOS_RETURN_IF_ERROR(tx->Query(
      "SELECT r.id, r.version, r.deleted, r.last_updated, " +
          std::string(clinical::kContentColumns) +
          " FROM resources r JOIN resource_versions v ON v.rid = r.rid AND v.version = "
          "r.version WHERE r.resource_type = 'Patient' AND r.last_updated >= $1",
      {since}, [&](const storage::Row& row) {
        std::string id = row.String(0);
        const std::int64_t version = row.Int(1);
        const std::string_view last_updated = row.Text(3);
        if (last_updated >= window_start) {
          auto [it, inserted] = recent_.try_emplace(id, version, std::string(last_updated));
          if (!inserted && it->second.first == version) return true;  // seen already
          it->second = {version, std::string(last_updated)};
        }
        if (row.Bool(2)) {
          index_->Remove(id);
          return true;
        }
        auto patient = StoredPatient(row, 4, id);
        if (!patient.ok()) {
          parse_error = patient.status();
          return false;
        }
        Reindex(id, *patient);
        return true;
      }));
  CUSTOS_RETURN_IF_ERROR(parse_error);
  std::erase_if(recent_, [&](const auto& entry) { return entry.second.second < window_start; });
  last_look_ = started;
  return Status::Ok();
}

void Registry::Reindex(const std::string& patient_id, const Json& patient) {
  if (Indexable(patient)) {
    index_->Upsert(PersonFromPatient(patient_id, patient));
  } else {
    index_->Remove(patient_id);
  }
}

Result<std::vector<MatchCandidate>> Registry::FindCandidates(const RequestContext& context,
                                                             const PersonRecord& person,
                                                             size_t limit) {
  if (SteadyMicros() - last_catch_up_us_ > kCatchUpIntervalUs) {
    CUSTOS_RETURN_IF_ERROR(CatchUp());
  }
  std::vector<IndexCandidate> found = index_->Search(person, limit);
  std::vector<MatchCandidate> candidates;
  if (found.empty()) return candidates;
  std::vector<std::string> ids;
  for (const auto& candidate : found) ids.push_back(candidate.id);
  // Every patient shown is an audited read, committed before the candidates leave.
  CUSTOS_RETURN_IF_ERROR(store_.RunAuditedRead(
      context, [&](storage::Transaction& tx, std::vector<audit::AuditEvent>& events) -> Status {
        CUSTOS_ASSIGN_OR_RETURN(auto patients, ReadPatients(tx, ids));
        candidates.clear();
        for (auto& candidate : found) {
          for (auto& [id, patient] : patients) {
            if (id != candidate.id) continue;
            audit::AuditEvent event =
                audit::AuditEvent::For(context, "patient.match", "Patient", candidate.id);
            event.WithPatient(candidate.id)
                .WithDetails(
                    {{"score", candidate.score}, {"decision", DecisionName(candidate.decision)}});
            events.push_back(std::move(event));
            Json summary = PatientSummaryJson(id, patient);
            candidates.push_back({std::move(candidate), std::move(summary), std::move(patient)});
            break;
          }
        }
        return Status::Ok();
      }));
  return candidates;
}

Result<std::vector<MatchCandidate>> Registry::Match(const RequestContext& context,
                                                    const Registration& registration,
                                                    size_t limit) {
  return MatchPerson(context, PersonFromRegistration(registration), limit);
}

Result<std::vector<MatchCandidate>> Registry::MatchPerson(const RequestContext& context,
                                                          const PersonRecord& person,
                                                          size_t limit) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, Permission::kPatientsRead));
  return FindCandidates(context, person, limit);
}

Result<std::string> Registry::NextMrn(storage::Transaction& tx, const std::string& facility) {
  CUSTOS_RETURN_IF_ERROR(tx.Execute("INSERT INTO mpi_mrn_counters (facility, last_value) VALUES "
                                    "($1, 0) ON CONFLICT (facility) "
                                    "DO NOTHING",
                                    {facility})
                             .status());
  CUSTOS_RETURN_IF_ERROR(
      tx.Execute("UPDATE mpi_mrn_counters SET last_value = last_value + 1 WHERE facility = $1",
                 {facility})
          .status());
  CUSTOS_ASSIGN_OR_RETURN(
      std::int64_t value,
      tx.QueryInt("SELECT last_value FROM mpi_mrn_counters WHERE facility = $1", {facility}));
  char digits[16];
  std::snprintf(digits, sizeof digits, "%08lld", static_cast<long long>(value));
  return facility + "-" + digits;
}

Result<RegistrationResult> Registry::Register(const RequestContext& context,
                                              const Registration& registration) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, Permission::kPatientsRegister));
  RegistrationResult result;
  CUSTOS_ASSIGN_OR_RETURN(result.candidates,
                          FindCandidates(context, PersonFromRegistration(registration), 10));
  if (!result.candidates.empty() && !registration.confirm_new_person) return result;

  const RequestContext writer = WithClinicalWrite(context);
  const std::string now = FormatTimestamp(clock_.Now());
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(std::string mrn, NextMrn(*tx, registration.facility));
  clinical::WriteOutcome outcome;
  auto created = store_.CreateIn(*tx, writer, PatientResource(registration, mrn), &outcome);
  if (!created.ok()) {
    // Our own Patient failing validation is a bug, not the registrar's input.
    if (created.status().code() == StatusCode::kInvalidArgument) {
      return Status::Internal("registration produced an invalid Patient: " +
                              created.status().message());
    }
    return created.status();
  }
  const std::string& patient_id = created->id;
  for (const auto& coverage : registration.coverage) {
    auto written = store_.CreateIn(*tx, writer, CoverageResource(coverage, patient_id), &outcome);
    if (!written.ok()) {
      if (written.status().code() == StatusCode::kInvalidArgument) {
        return Status::Internal("registration produced an invalid Coverage: " +
                                written.status().message());
      }
      return written.status();
    }
  }
  CUSTOS_RETURN_IF_ERROR(tx->Execute("INSERT INTO mpi_registrations (patient_id, facility, mrn, "
                                     "registered_at, registered_by, "
                                     "candidates) VALUES ($1, $2, $3, $4, $5, $6)",
                                     {patient_id, registration.facility, mrn, now, context.actor_id,
                                      static_cast<std::int64_t>(result.candidates.size())})
                             .status());
  Json candidates = Json::array();
  for (const auto& candidate : result.candidates) {
    const bool first = patient_id < candidate.match.id;
    CUSTOS_RETURN_IF_ERROR(
        tx->Execute("INSERT INTO mpi_pairs (pair_id, patient_a, patient_b, score, log_odds, "
                    "decision, status, "
                    "facility, source, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, "
                    "'open', $7, "
                    "'registration', $8, $8) ON CONFLICT (patient_a, patient_b) DO NOTHING",
                    {NewId(clock_.Now()), first ? patient_id : candidate.match.id,
                     first ? candidate.match.id : patient_id, candidate.match.score,
                     candidate.match.log_odds, std::string(DecisionName(candidate.match.decision)),
                     registration.facility, now})
            .status());
    candidates.push_back({{"patient_id", candidate.match.id},
                          {"score", candidate.match.score},
                          {"log_odds", candidate.match.log_odds},
                          {"decision", DecisionName(candidate.match.decision)},
                          {"fields", ExplanationFieldsJson(candidate.match.explanation)}});
  }
  audit::AuditEvent event =
      audit::AuditEvent::For(context, "patient.register", "Patient", patient_id);
  event.WithPatient(patient_id)
      .WithDetails({{"mrn", mrn},
                    {"facility", registration.facility},
                    {"confirmed_new_person", registration.confirm_new_person},
                    {"candidates", candidates}});
  CUSTOS_RETURN_IF_ERROR(audit_.Record(*tx, std::move(event)));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());

  auto stored = ParseJsonObject(created->json);
  if (!stored.ok()) return Status::Internal("the stored Patient is not JSON");
  Reindex(patient_id, *stored);
  Json summary = PatientSummaryJson(patient_id, *stored);
  summary["created_at"] = now;
  summary["facility"] = registration.facility;
  result.patient = std::move(summary);
  return result;
}

Result<Json> Registry::Summary(const RequestContext& context, const std::string& patient_id) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, Permission::kPatientsRead));
  Json summary;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_ASSIGN_OR_RETURN(auto patients, ReadPatients(*tx, {patient_id}));
    if (patients.empty()) return Status::NotFound("no patient " + patient_id);
    summary = PatientSummaryJson(patient_id, patients.front().second);
    CUSTOS_ASSIGN_OR_RETURN(
        auto registration,
        tx->QueryOne("SELECT registered_at, facility FROM mpi_registrations WHERE patient_id = $1",
                     {patient_id}));
    summary["created_at"] = registration ? Json(registration->String(0)) : Json(nullptr);
    summary["facility"] = registration ? Json(registration->String(1)) : Json(nullptr);
  }
  audit::AuditEvent event = audit::AuditEvent::For(context, "patient.read", "Patient", patient_id);
  event.WithPatient(patient_id);
  std::vector<audit::AuditEvent> events;
  events.push_back(std::move(event));
  CUSTOS_RETURN_IF_ERROR(audit::RecordRead(database_, audit_, context, std::move(events)));
  return summary;
}

Result<std::string> Registry::Resolve(const std::string& patient_id) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
  std::string current = patient_id;
  // A chain longer than this is a loop someone wrote by hand; stop where we are.
  for (int hop = 0; hop < 16; ++hop) {
    CUSTOS_ASSIGN_OR_RETURN(auto patients, ReadPatients(*tx, {current}));
    if (patients.empty()) return Status::NotFound("no patient " + current);
    const std::string next = ReplacedBy(patients.front().second);
    if (next.empty() || next == current) return current;
    CUSTOS_ASSIGN_OR_RETURN(auto successor, ReadPatients(*tx, {next}));
    if (successor.empty()) return current;  // a link to nowhere: stay with what exists
    current = next;
  }
  return current;
}

}  // namespace custos::patients
