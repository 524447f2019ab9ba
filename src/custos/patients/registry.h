// Registry: the registrar's side of the master patient index. Finds the likely existing patients
// for what is being typed (search before create), registers new patients as FHIR Patient and
// Coverage resources with a facility MRN, and keeps the in-memory PatientIndex in step with the
// Patients in the clinical store — whoever wrote them (this server, another node, the FHIR API,
// an import).
//
// Keeping in step: the index is loaded at start, updated at once after this registry's own
// writes, and otherwise catches up before a search (at most every 250 ms) with the Patients whose
// last_updated is at or after the previous look's start minus two seconds — a transaction takes
// its time before it commits, so one that committed just after a look still shows up in the
// next. Rows seen in that window at the same version are not parsed again.
// Thread-safe; share one instance.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "custos/audit/audit_sink.h"
#include "custos/clinical/resource_store.h"
#include "custos/core/clock.h"
#include "custos/core/json.h"
#include "custos/core/request_context.h"
#include "custos/patients/comparison.h"
#include "custos/patients/patient_index.h"
#include "custos/patients/registry_fhir.h"
#include "custos/storage/database.h"

namespace custos::patients {

// An existing patient who may be the person at the desk, with why (docs/API.md "Candidate").
struct MatchCandidate {
  IndexCandidate match;
  Json summary;   // PatientSummary
  Json resource;  // the Patient as stored
};

// The API's JSON for a candidate: summary fields plus score, log_odds, decision, fields, capped_by.
Json CandidateJson(const MatchCandidate& candidate);
// Field-by-field weights of an explanation, as the API shows them.
Json ExplanationFieldsJson(const PairExplanation& explanation);

struct RegistrationResult {
  // Set when the patient was created.
  std::optional<Json> patient;  // PatientSummary
  // The candidates at review or link. Without confirm_new_person and with candidates, nothing
  // was created (the caller answers 409 possible_duplicate).
  std::vector<MatchCandidate> candidates;
};

class Registry {
 public:
  Registry(storage::Database& database, audit::AuditSink& audit, const Clock& clock,
           clinical::ResourceStore& store, MatchModel model);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Loads every current Patient into the index. Call once before serving.
  Status Load();

  // Search before create: the existing patients at review or link, best first (at most
  // `limit`). Needs patients.read; every patient shown is an audited read.
  Result<std::vector<MatchCandidate>> Match(const RequestContext& context,
                                            const Registration& registration, size_t limit = 10);
  // The same for a person already in the engine's form (Patient/$match).
  Result<std::vector<MatchCandidate>> MatchPerson(const RequestContext& context,
                                                  const PersonRecord& person, size_t limit = 10);

  // Registers a patient (patients.register): the Patient with a new MRN of the facility, a
  // Coverage per insurance entry, the registration record, the candidates as open pairs of the
  // duplicate queue, and an audit event carrying the candidates' scores — one transaction. With
  // candidates and without confirm_new_person nothing is written and the candidates come back.
  Result<RegistrationResult> Register(const RequestContext& context,
                                      const Registration& registration);

  // The PatientSummary of a patient (patients.read; audited), with created_at and facility.
  Result<Json> Summary(const RequestContext& context, const std::string& patient_id);

  // The id at the end of `patient_id`'s replaced-by links (itself when not replaced). kNotFound
  // for an unknown patient. No permission check: callers read the result themselves.
  Result<std::string> Resolve(const std::string& patient_id);

  // Brings the index up to date with the store now (after a merge, an import, …).
  Status CatchUp();
  // Updates the index for patients this process just wrote.
  void Reindex(const std::string& patient_id, const Json& patient);

  PatientIndex& index() { return *index_; }

 private:
  Status CatchUpSince(const std::string& since, Timestamp started);
  // The index's candidates with their current Patients; each one found is an audited read.
  Result<std::vector<MatchCandidate>> FindCandidates(const RequestContext& context,
                                                     const PersonRecord& person, size_t limit);
  Result<std::string> NextMrn(storage::Transaction& tx, const std::string& facility);

  storage::Database& database_;
  audit::AuditSink& audit_;
  const Clock& clock_;
  clinical::ResourceStore& store_;
  std::unique_ptr<PatientIndex> index_;
  std::mutex catch_up_mutex_;
  std::optional<Timestamp> last_look_;  // when the last catch-up started (store clock)
  // Versions of the Patients seen in the overlap window (id → version, last_updated).
  std::unordered_map<std::string, std::pair<std::int64_t, std::string>> recent_;
  std::int64_t last_catch_up_us_ = 0;  // steady-clock time of the last look
};

// Helpers shared by the duplicate queue and merges.
// Current Patient resources by id, read in `tx` (missing ids left out).
Result<std::vector<std::pair<std::string, Json>>> ReadPatients(storage::Transaction& tx,
                                                               const std::vector<std::string>& ids);
// The registry's current Patients (not deleted, not replaced by another), prepared for batch
// matching (`custos mpi dedupe` without a file), ids being the Patients' ids. Read in one
// transaction; `progress(read, total)` is told every 10,000 Patients and at the end.
Result<PreparedList> ReadRegistryPrepared(storage::Database& database,
                                          const std::function<void(size_t, size_t)>& progress = {});
// A copy of `context` that may also write the clinical record: registration and merges write
// Patients on behalf of people who hold patients.register or patients.merge, not clinical.write.
RequestContext WithClinicalWrite(const RequestContext& context);

}  // namespace custos::patients
