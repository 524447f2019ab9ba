#include "custos/clinical/patient_record.h"

#include <algorithm>

#include "custos/audit/read_audit.h"
#include "custos/auth/permissions.h"

namespace custos::clinical {

namespace {

// The stored resource's columns, then its row id (the paging key).
const std::string kColumns = std::string(kResourceColumns) + ", r.rid";
constexpr int kRidColumn = kResourceColumnCount;

// " AND r.resource_type IN ($n, …)" and " AND r.last_updated >= $m" for the options, appending
// their parameters to `params`.
std::string Filters(const PatientRecordOptions& options, storage::Params& params) {
  std::string sql;
  if (!options.types.empty()) {
    sql += " AND r.resource_type IN (";
    for (size_t i = 0; i < options.types.size(); ++i) {
      params.emplace_back(options.types[i]);
      sql += (i ? ", $" : "$") + std::to_string(params.size());
    }
    sql += ")";
  }
  if (options.since) {
    params.emplace_back(*options.since);
    sql += " AND r.last_updated >= $" + std::to_string(params.size());
  }
  return sql;
}

}  // namespace

Result<PatientRecord> PatientRecord::Open(storage::Database& database, audit::AuditSink& audit,
                                          const RequestContext& context,
                                          const std::string& patient_id,
                                          PatientRecordOptions options) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalRead));
  PatientRecord record(database, patient_id, std::move(options));
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_ASSIGN_OR_RETURN(
        auto row,
        tx->QueryOne("SELECT " + kColumns +
                         " FROM resources r JOIN resource_versions v ON v.rid = r.rid AND "
                         "v.version = r.version WHERE r.resource_type = 'Patient' AND r.id = $1",
                     {patient_id}));
    if (!row || row->IsNull(4)) return Status::NotFound("no Patient/" + patient_id);
    record.patient_rid_ = row->Int(kRidColumn);
    CUSTOS_ASSIGN_OR_RETURN(record.patient_, StoredResourceFromRow(*row));
  }
  std::vector<audit::AuditEvent> events;
  events.push_back(audit::AuditEvent::For(context, "patient.everything", "Patient", patient_id)
                       .WithPatient(patient_id));
  CUSTOS_RETURN_IF_ERROR(audit::RecordRead(database, audit, context, std::move(events)));
  return record;
}

bool PatientRecord::Wanted(const std::string& type) const {
  return options_.types.empty() ||
         std::find(options_.types.begin(), options_.types.end(), type) != options_.types.end();
}

Result<std::vector<RecordEntry>> PatientRecord::Next(std::size_t max) {
  std::vector<RecordEntry> page;
  if (max == 0) return page;
  if (phase_ == Phase::kPatient) {
    phase_ = Phase::kCompartment;
    if (Wanted("Patient") && (!options_.since || patient_->last_updated >= *options_.since)) {
      page.push_back({std::move(*patient_), RecordPart::kCompartment});
    }
    patient_.reset();
  }
  while (page.size() < max && phase_ != Phase::kDone) {
    storage::Params params{patient_id_, after_rid_};
    std::string sql;
    const std::string limit = std::to_string(max - page.size());
    if (phase_ == Phase::kCompartment) {
      params.emplace_back(patient_rid_);
      sql = "SELECT " + kColumns +
            " FROM resources r JOIN resource_versions v ON v.rid = r.rid AND v.version = "
            "r.version WHERE r.patient_id = $1 AND r.rid > $2 AND r.rid <> $3 AND r.deleted = 0" +
            Filters(options_, params) + " ORDER BY r.rid LIMIT " + limit;
    } else {
      // Resources of no patient that the compartment points to, each once.
      sql = "SELECT " + kColumns +
            " FROM resources r JOIN resource_versions v ON v.rid = r.rid AND v.version = "
            "r.version WHERE r.rid IN (SELECT t.rid FROM search_reference sr JOIN resources s ON "
            "s.rid = sr.rid JOIN resources t ON t.resource_type = sr.target_type AND t.id = "
            "sr.target_id WHERE s.patient_id = $1 AND s.deleted = 0 AND t.patient_id IS NULL) "
            "AND r.rid > $2 AND r.deleted = 0" +
            Filters(options_, params) + " ORDER BY r.rid LIMIT " + limit;
    }
    const RecordPart part =
        phase_ == Phase::kCompartment ? RecordPart::kCompartment : RecordPart::kReferenced;
    {
      CUSTOS_ASSIGN_OR_RETURN(auto tx, database_->Begin(storage::TransactionMode::kReadOnly));
      Status failure;
      CUSTOS_RETURN_IF_ERROR(tx->Query(sql, params, [&](const storage::Row& row) {
        after_rid_ = row.Int(kRidColumn);
        auto resource = StoredResourceFromRow(row);
        if (!resource.ok()) {
          failure = resource.status();
          return false;
        }
        page.push_back({std::move(resource).value(), part});
        return true;
      }));
      CUSTOS_RETURN_IF_ERROR(failure);
    }
    if (page.size() < max) {  // this phase is exhausted
      phase_ = phase_ == Phase::kCompartment ? Phase::kReferenced : Phase::kDone;
      after_rid_ = 0;
    }
  }
  return page;
}

}  // namespace custos::clinical
