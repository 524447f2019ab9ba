#include "custos/patients/merge.h"

#include "custos/auth/permissions.h"
#include "custos/clinical/resource_codec.h"
#include "custos/core/ids.h"

namespace custos::patients {
namespace {

using auth::Permission;

struct CurrentPatient {
  std::int64_t version = 0;
  Json resource;
};

Result<std::optional<CurrentPatient>> LoadPatient(storage::Transaction& tx, const std::string& id) {
  CUSTOS_ASSIGN_OR_RETURN(
      auto row, tx.QueryOne("SELECT r.version, " + std::string(clinical::kContentColumns) +
                                " FROM resources r JOIN resource_versions v "
                                "ON v.rid = r.rid AND v.version = r.version WHERE "
                                "r.resource_type = 'Patient' AND r.id = $1 AND r.deleted = 0",
                            {id}));
  if (!row) return std::optional<CurrentPatient>();
  CUSTOS_ASSIGN_OR_RETURN(const std::string text, clinical::ContentFromRow(*row, 1));
  CUSTOS_ASSIGN_OR_RETURN(Json resource, ParseJsonObject(text));
  return std::optional<CurrentPatient>(CurrentPatient{row->Int(0), std::move(resource)});
}

Result<Json> LoadVersion(storage::Transaction& tx, const std::string& type, const std::string& id,
                         std::int64_t version) {
  CUSTOS_ASSIGN_OR_RETURN(
      auto row, tx.QueryOne("SELECT " + std::string(clinical::kContentColumns) +
                                " FROM resources r JOIN resource_versions v ON v.rid = r.rid "
                                "WHERE r.resource_type = $1 AND r.id = $2 AND v.version = $3",
                            {type, id, version}));
  if (!row || (row->IsNull(0) && row->IsNull(1))) {
    return Status::Internal(type + "/" + id + " has no version " + std::to_string(version));
  }
  CUSTOS_ASSIGN_OR_RETURN(const std::string text, clinical::ContentFromRow(*row, 0));
  return ParseJsonObject(text);
}

std::string StringAt(const Json& object, std::string_view key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool IsSsn(const Json& identifier) { return StringAt(identifier, "system") == kSsnSystem; }

void ReplaceTelecom(Json& survivor, const Json& duplicate, std::string_view system) {
  Json kept = Json::array();
  if (auto it = survivor.find("telecom"); it != survivor.end() && it->is_array()) {
    for (const Json& contact : *it) {
      if (StringAt(contact, "system") != system) kept.push_back(contact);
    }
  }
  if (auto it = duplicate.find("telecom"); it != duplicate.end() && it->is_array()) {
    for (const Json& contact : *it) {
      if (StringAt(contact, "system") == system) kept.push_back(contact);
    }
  }
  if (kept.empty()) {
    survivor.erase("telecom");
  } else {
    survivor["telecom"] = kept;
  }
}

void CopyElement(Json& survivor, const Json& duplicate, const char* element) {
  if (auto it = duplicate.find(element); it != duplicate.end()) {
    survivor[element] = *it;
  } else {
    survivor.erase(element);
  }
}

Status ApplyKeep(Json& survivor, const Json& duplicate,
                 const std::map<std::string, std::string>& keep) {
  for (const auto& [field, side] : keep) {
    if (side != "survivor" && side != "duplicate") {
      return Status::InvalidArgument("keep." + field + " must be survivor or duplicate",
                                     "keep." + field);
    }
    if (side == "survivor") continue;
    if (field == "name") {
      CopyElement(survivor, duplicate, "name");
    } else if (field == "birth_date") {
      CopyElement(survivor, duplicate, "birthDate");
    } else if (field == "sex") {
      CopyElement(survivor, duplicate, "gender");
    } else if (field == "address") {
      CopyElement(survivor, duplicate, "address");
    } else if (field == "phone") {
      ReplaceTelecom(survivor, duplicate, "phone");
    } else if (field == "email") {
      ReplaceTelecom(survivor, duplicate, "email");
    } else if (field == "ssn") {
      Json identifiers = Json::array();
      for (const Json& identifier : survivor.value("identifier", Json::array())) {
        if (!IsSsn(identifier)) identifiers.push_back(identifier);
      }
      for (const Json& identifier : duplicate.value("identifier", Json::array())) {
        if (IsSsn(identifier)) identifiers.push_back(identifier);
      }
      survivor["identifier"] = identifiers;
    } else {
      return Status::InvalidArgument(
          "keep." + field + ": fields are name, birth_date, sex, ssn, address, phone, email",
          "keep." + field);
    }
  }
  return Status::Ok();
}

// The survivor keeps the duplicate's identifiers (its MRN above all), marked old.
void AdoptIdentifiers(Json& survivor, const Json& duplicate) {
  Json identifiers = survivor.value("identifier", Json::array());
  for (Json identifier : duplicate.value("identifier", Json::array())) {
    if (IsSsn(identifier)) continue;  // one SSN per person: ApplyKeep chose it
    bool present = false;
    for (const Json& existing : identifiers) {
      if (StringAt(existing, "system") == StringAt(identifier, "system") &&
          StringAt(existing, "value") == StringAt(identifier, "value")) {
        present = true;
      }
    }
    if (present) continue;
    identifier["use"] = "old";
    identifiers.push_back(std::move(identifier));
  }
  if (!identifiers.empty()) survivor["identifier"] = identifiers;
}

void AddLink(Json& patient, const std::string& other, const char* type) {
  Json links = patient.value("link", Json::array());
  links.push_back({{"other", {{"reference", "Patient/" + other}}}, {"type", type}});
  patient["link"] = links;
}

int RewriteIn(Json& node, const std::string& relative, const std::string& absolute_suffix,
              const std::string& replacement) {
  int changed = 0;
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == "reference" && it->is_string()) {
        const std::string& value = it->get_ref<const std::string&>();
        if (value == relative ||
            (value.size() > absolute_suffix.size() && value.ends_with(absolute_suffix))) {
          *it = replacement;
          ++changed;
        }
      } else {
        changed += RewriteIn(*it, relative, absolute_suffix, replacement);
      }
    }
  } else if (node.is_array()) {
    for (Json& item : node) changed += RewriteIn(item, relative, absolute_suffix, replacement);
  }
  return changed;
}

Json MergeJson(const storage::Row& row) {
  return {{"merge_id", row.String(0)},
          {"survivor", row.String(1)},
          {"duplicate", row.String(2)},
          {"status", row.String(3)},
          {"merged_at", row.String(4)},
          {"merged_by", row.String(5)},
          {"unmerged_at", row.IsNull(6) ? Json(nullptr) : Json(row.String(6))},
          {"moved", row.Int(7)},
          {"score", row.IsNull(8) ? Json(nullptr) : Json(row.Double(8))},
          {"pair_id", row.IsNull(9) ? Json(nullptr) : Json(row.String(9))}};
}

constexpr std::string_view kMergeColumns =
    "merge_id, survivor, duplicate, status, merged_at, merged_by, unmerged_at, moved, score, "
    "pair_id";

Status AsInvalidInternal(const Status& status, std::string_view what) {
  // Our own rewrite failing validation is a bug, not the analyst's input.
  if (status.code() == StatusCode::kInvalidArgument) {
    return Status::Internal(std::string(what) + " failed validation: " + status.message());
  }
  return status;
}

}  // namespace

int RewritePatientReferences(Json& resource, const std::string& from, const std::string& to) {
  return RewriteIn(resource, "Patient/" + from, "/Patient/" + from, "Patient/" + to);
}

Merger::Merger(storage::Database& database, audit::AuditSink& audit, const Clock& clock,
               clinical::ResourceStore& store, Registry& registry)
    : database_(database), audit_(audit), clock_(clock), store_(store), registry_(registry) {}

Result<Json> Merger::Merge(const RequestContext& context, const MergeRequest& request) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, Permission::kPatientsMerge));
  if (request.survivor.empty()) return Status::InvalidArgument("survivor is required", "survivor");
  if (request.duplicate.empty()) {
    return Status::InvalidArgument("duplicate is required", "duplicate");
  }
  if (request.survivor == request.duplicate) {
    return Status::InvalidArgument("survivor and duplicate must be two patients", "duplicate");
  }
  const RequestContext writer = WithClinicalWrite(context);
  const std::string now = FormatTimestamp(clock_.Now());

  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(auto survivor, LoadPatient(*tx, request.survivor));
  if (!survivor) return Status::NotFound("no patient " + request.survivor);
  CUSTOS_ASSIGN_OR_RETURN(auto duplicate, LoadPatient(*tx, request.duplicate));
  if (!duplicate) return Status::NotFound("no patient " + request.duplicate);
  for (const auto* patient : {&*survivor, &*duplicate}) {
    if (!ReplacedBy(patient->resource).empty()) {
      return Status::Conflict(
                 "patient " +
                 std::string(patient == &*survivor ? request.survivor : request.duplicate) +
                 " was already merged into another patient")
          .WithReason("already_merged");
    }
  }
  std::optional<double> pair_score;
  if (!request.pair_id.empty()) {
    CUSTOS_ASSIGN_OR_RETURN(
        auto pair, tx->QueryOne("SELECT patient_a, patient_b, status, score FROM mpi_pairs WHERE "
                                "pair_id = $1",
                                {request.pair_id}));
    if (!pair) return Status::NotFound("no pair " + request.pair_id + " in the duplicate queue");
    const std::string a = pair->String(0);
    const std::string b = pair->String(1);
    if (!((a == request.survivor && b == request.duplicate) ||
          (b == request.survivor && a == request.duplicate))) {
      return Status::InvalidArgument("pair " + request.pair_id + " is not these two patients",
                                     "pair_id");
    }
    if (pair->Text(2) == "merged") {
      return Status::Conflict("the pair was merged already").WithReason("already_merged");
    }
    pair_score = pair->Double(3);
  }

  // The evidence at decision time, as the engine sees the two records now.
  Json evidence = Json::object();
  const PatientIndex& index = registry_.index();
  Result<IndexCandidate> explained = index.Explain(request.survivor, request.duplicate);
  if (!explained.ok()) {
    explained =
        index.Compare(request.survivor, PersonFromPatient(request.duplicate, duplicate->resource));
  }
  if (explained.ok()) {
    evidence = {{"score", explained->score},
                {"log_odds", explained->log_odds},
                {"decision", DecisionName(explained->decision)},
                {"fields", ExplanationFieldsJson(explained->explanation)}};
  }
  const std::optional<double> score =
      explained.ok() ? std::optional<double>(explained->score) : pair_score;

  // Move the duplicate's record. Read it all first: no statement may run inside a Query visitor.
  CUSTOS_ASSIGN_OR_RETURN(
      auto rows,
      tx->QueryAll(
          "SELECT r.resource_type, r.id, r.version, " + std::string(clinical::kContentColumns) +
              " FROM resources r JOIN "
              "resource_versions v ON v.rid = r.rid AND v.version = r.version WHERE "
              "r.patient_id = $1 AND r.deleted = 0 AND r.resource_type <> 'Patient' ORDER BY "
              "r.rid",
          {request.duplicate}));
  const std::string merge_id = NewId(clock_.Now());
  std::int64_t moved = 0;
  for (const auto& row : rows) {
    const std::string type = row.String(0);
    const std::string id = row.String(1);
    const std::int64_t version = row.Int(2);
    CUSTOS_ASSIGN_OR_RETURN(const std::string text, clinical::ContentFromRow(row, 3));
    CUSTOS_ASSIGN_OR_RETURN(Json resource, ParseJsonObject(text));
    if (RewritePatientReferences(resource, request.duplicate, request.survivor) == 0) continue;
    clinical::WriteOutcome outcome;
    auto written = store_.UpdateIn(*tx, writer, type, id, std::move(resource), version, &outcome);
    if (!written.ok()) return AsInvalidInternal(written.status(), type + "/" + id);
    CUSTOS_RETURN_IF_ERROR(
        tx->Execute(
              "INSERT INTO mpi_merge_moves (merge_id, resource_type, resource_id, version_before, "
              "version_after) VALUES ($1, $2, $3, $4, $5)",
              {merge_id, type, id, version, written->version})
            .status());
    ++moved;
  }

  // The two Patients.
  Json survivor_after = survivor->resource;
  CUSTOS_RETURN_IF_ERROR(ApplyKeep(survivor_after, duplicate->resource, request.keep));
  AdoptIdentifiers(survivor_after, duplicate->resource);
  AddLink(survivor_after, request.duplicate, "replaces");
  Json duplicate_after = duplicate->resource;
  duplicate_after["active"] = false;
  AddLink(duplicate_after, request.survivor, "replaced-by");
  clinical::WriteOutcome outcome;
  auto survivor_written = store_.UpdateIn(*tx, writer, "Patient", request.survivor, survivor_after,
                                          survivor->version, &outcome);
  if (!survivor_written.ok()) return AsInvalidInternal(survivor_written.status(), "the survivor");
  auto duplicate_written = store_.UpdateIn(*tx, writer, "Patient", request.duplicate,
                                           duplicate_after, duplicate->version, &outcome);
  if (!duplicate_written.ok()) {
    return AsInvalidInternal(duplicate_written.status(), "the duplicate");
  }

  CUSTOS_RETURN_IF_ERROR(
      tx->Execute("INSERT INTO mpi_merges (merge_id, survivor, duplicate, pair_id, status, score, "
                  "evidence, "
                  "survivor_version, survivor_merged_version, duplicate_version, "
                  "duplicate_merged_version, "
                  "moved, merged_at, merged_by) VALUES ($1, $2, $3, $4, 'merged', $5, $6, $7, $8, "
                  "$9, $10, "
                  "$11, $12, $13)",
                  {merge_id, request.survivor, request.duplicate,
                   request.pair_id.empty() ? std::optional<std::string>()
                                           : std::optional(request.pair_id),
                   score, evidence.dump(), survivor->version, survivor_written->version,
                   duplicate->version, duplicate_written->version, moved, now, context.actor_id})
          .status());
  const bool ordered = request.survivor < request.duplicate;
  CUSTOS_RETURN_IF_ERROR(
      tx->Execute("UPDATE mpi_pairs SET status = 'merged', decided_by = $1, updated_at = $2 WHERE "
                  "patient_a = "
                  "$3 AND patient_b = $4",
                  {context.actor_id, now, ordered ? request.survivor : request.duplicate,
                   ordered ? request.duplicate : request.survivor})
          .status());

  Json keep = Json::object();
  for (const auto& [field, side] : request.keep) keep[field] = side;
  for (const std::string* patient : {&request.survivor, &request.duplicate}) {
    audit::AuditEvent event =
        audit::AuditEvent::For(context, "patient.merge", "mpi_merge", merge_id);
    event.WithPatient(*patient).WithDetails({{"survivor", request.survivor},
                                             {"duplicate", request.duplicate},
                                             {"moved", moved},
                                             {"keep", keep},
                                             {"evidence", evidence}});
    CUSTOS_RETURN_IF_ERROR(audit_.Record(*tx, std::move(event)));
  }
  CUSTOS_ASSIGN_OR_RETURN(auto merge_row, tx->QueryOne("SELECT " + std::string(kMergeColumns) +
                                                           " FROM mpi_merges WHERE merge_id = $1",
                                                       {merge_id}));
  Json merge = MergeJson(*merge_row);
  CUSTOS_RETURN_IF_ERROR(tx->Commit());

  registry_.Reindex(request.survivor, survivor_after);
  registry_.Reindex(request.duplicate, duplicate_after);
  return merge;
}

Result<Json> Merger::Unmerge(const RequestContext& context, const std::string& merge_id) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, Permission::kPatientsMerge));
  const RequestContext writer = WithClinicalWrite(context);
  const std::string now = FormatTimestamp(clock_.Now());

  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(auto merge,
                          tx->QueryOne("SELECT survivor, duplicate, status, survivor_version, "
                                       "duplicate_version FROM mpi_merges WHERE merge_id = $1",
                                       {merge_id}));
  if (!merge) return Status::NotFound("no merge " + merge_id);
  if (merge->Text(2) != "merged") {
    return Status::Conflict("merge " + merge_id + " was already undone")
        .WithReason("already_unmerged");
  }
  const std::string survivor = merge->String(0);
  const std::string duplicate = merge->String(1);

  CUSTOS_ASSIGN_OR_RETURN(
      auto moves, tx->QueryAll("SELECT resource_type, resource_id, version_before, version_after "
                               "FROM mpi_merge_moves WHERE merge_id = $1 ORDER BY resource_type, "
                               "resource_id",
                               {merge_id}));
  std::int64_t restored = 0;
  std::int64_t kept_edits = 0;
  std::int64_t deleted_since = 0;
  for (const auto& move : moves) {
    const std::string type = move.String(0);
    const std::string id = move.String(1);
    CUSTOS_ASSIGN_OR_RETURN(
        auto current,
        tx->QueryOne("SELECT r.version, r.deleted, " + std::string(clinical::kContentColumns) +
                         " FROM resources r JOIN "
                         "resource_versions v ON v.rid = r.rid AND v.version = r.version WHERE "
                         "r.resource_type = $1 AND r.id = $2",
                     {type, id}));
    if (!current || current->Bool(1)) {
      ++deleted_since;  // deleted after the merge: nothing to put back
      continue;
    }
    const std::int64_t version = current->Int(0);
    Json resource;
    if (version == move.Int(3)) {
      CUSTOS_ASSIGN_OR_RETURN(resource, LoadVersion(*tx, type, id, move.Int(2)));
      ++restored;
    } else {
      CUSTOS_ASSIGN_OR_RETURN(const std::string text, clinical::ContentFromRow(*current, 2));
      CUSTOS_ASSIGN_OR_RETURN(resource, ParseJsonObject(text));
      RewritePatientReferences(resource, survivor, duplicate);
      ++kept_edits;
    }
    clinical::WriteOutcome outcome;
    auto written = store_.UpdateIn(*tx, writer, type, id, std::move(resource), version, &outcome);
    if (!written.ok()) return AsInvalidInternal(written.status(), type + "/" + id);
  }

  // Both Patients exactly as they were before the merge.
  Json restored_patients[2];
  int i = 0;
  for (const auto& [id, column] : {std::pair{survivor, 3}, std::pair{duplicate, 4}}) {
    CUSTOS_ASSIGN_OR_RETURN(auto current, LoadPatient(*tx, id));
    if (!current) return Status::Conflict("patient " + id + " was deleted since the merge");
    CUSTOS_ASSIGN_OR_RETURN(Json before, LoadVersion(*tx, "Patient", id, merge->Int(column)));
    clinical::WriteOutcome outcome;
    auto written = store_.UpdateIn(*tx, writer, "Patient", id, before, current->version, &outcome);
    if (!written.ok()) return AsInvalidInternal(written.status(), "Patient/" + id);
    restored_patients[i++] = std::move(before);
  }

  CUSTOS_RETURN_IF_ERROR(
      tx->Execute(
            "UPDATE mpi_merges SET status = 'unmerged', unmerged_at = $1, unmerged_by = $2 WHERE "
            "merge_id = $3",
            {now, context.actor_id, merge_id})
          .status());
  // The pair goes back to the queue for a fresh decision.
  const bool ordered = survivor < duplicate;
  CUSTOS_RETURN_IF_ERROR(
      tx->Execute(
            "UPDATE mpi_pairs SET status = 'open', note = 'unmerged', decided_by = $1, updated_at "
            "= $2 "
            "WHERE patient_a = $3 AND patient_b = $4 AND status = 'merged'",
            {context.actor_id, now, ordered ? survivor : duplicate, ordered ? duplicate : survivor})
          .status());
  for (const std::string* patient : {&survivor, &duplicate}) {
    audit::AuditEvent event =
        audit::AuditEvent::For(context, "patient.unmerge", "mpi_merge", merge_id);
    event.WithPatient(*patient).WithDetails({{"survivor", survivor},
                                             {"duplicate", duplicate},
                                             {"restored", restored},
                                             {"kept_edits", kept_edits},
                                             {"deleted_since", deleted_since}});
    CUSTOS_RETURN_IF_ERROR(audit_.Record(*tx, std::move(event)));
  }
  CUSTOS_ASSIGN_OR_RETURN(auto merge_row, tx->QueryOne("SELECT " + std::string(kMergeColumns) +
                                                           " FROM mpi_merges WHERE merge_id = $1",
                                                       {merge_id}));
  Json result = MergeJson(*merge_row);
  CUSTOS_RETURN_IF_ERROR(tx->Commit());

  registry_.Reindex(survivor, restored_patients[0]);
  registry_.Reindex(duplicate, restored_patients[1]);
  return result;
}

Result<std::vector<Json>> Merger::List(const RequestContext& context,
                                       const std::string& patient_id) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, Permission::kPatientsMerge));
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
  const std::string sql =
      "SELECT " + std::string(kMergeColumns) + " FROM mpi_merges " +
      (patient_id.empty() ? std::string() : std::string("WHERE survivor = $1 OR duplicate = $1 ")) +
      "ORDER BY merged_at DESC LIMIT 500";
  storage::Params params;
  if (!patient_id.empty()) params.emplace_back(patient_id);
  std::vector<Json> merges;
  CUSTOS_RETURN_IF_ERROR(tx->Query(sql, params, [&](const storage::Row& row) {
    merges.push_back(MergeJson(row));
    return true;
  }));
  return merges;
}

}  // namespace custos::patients
