// PatientRecord: a patient's whole record read out in pages (Patient/$everything, and later
// release of information and retention, which need the same "everything about this person").
//
// Order: the Patient, then every current resource in its compartment (oldest row first), then
// the resources those point to that belong to no patient (practitioners, organisations,
// locations). Each Next() reads one page in a short read-only transaction of its own, so memory
// stays constant however large the record is, and no transaction stays open while a slow client
// takes its time; a resource written between two pages is simply in the page its row falls into.
// The read is audited once, when the record is opened. Not thread-safe; one reader at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "custos/clinical/resource_store.h"
#include "custos/storage/database.h"

namespace custos::clinical {

struct PatientRecordOptions {
  std::vector<std::string> types;    // only these resource types (empty: all); FHIR `_type`
  std::optional<std::string> since;  // only resources changed at or after (stored time form)
};

// Whether a resource is part of the patient's compartment or only referenced from it
// (Bundle.entry.search.mode "match" or "include").
enum class RecordPart { kCompartment, kReferenced };

struct RecordEntry {
  StoredResource resource;
  RecordPart part = RecordPart::kCompartment;
};

class PatientRecord {
 public:
  // Opens the record of Patient/`patient_id`: kNotFound when there is no such (current,
  // undeleted) patient, kPermissionDenied without clinical.read. Records the audit event.
  static Result<PatientRecord> Open(storage::Database& database, audit::AuditSink& audit,
                                    const RequestContext& context, const std::string& patient_id,
                                    PatientRecordOptions options = {});

  // Up to `max` further entries; an empty vector when the record is exhausted.
  Result<std::vector<RecordEntry>> Next(std::size_t max);

 private:
  enum class Phase { kPatient, kCompartment, kReferenced, kDone };
  PatientRecord(storage::Database& database, std::string patient_id, PatientRecordOptions options)
      : database_(&database), patient_id_(std::move(patient_id)), options_(std::move(options)) {}
  bool Wanted(const std::string& type) const;

  storage::Database* database_;
  std::string patient_id_;
  PatientRecordOptions options_;
  Phase phase_ = Phase::kPatient;
  std::int64_t patient_rid_ = 0;
  std::optional<StoredResource> patient_;  // read by Open, handed out first
  std::int64_t after_rid_ = 0;             // keyset cursor within the current phase
};

}  // namespace custos::clinical
