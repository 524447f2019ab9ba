// Merge and unmerge of two Patients that are one person.
//
// A merge moves every resource of the duplicate's record (encounters, documents, observations, …)
// to the survivor by rewriting its references, copies the values the analyst chose from the
// duplicate onto the survivor (which also keeps the duplicate's identifiers, marked `old`, so an
// old MRN still finds the person), marks the duplicate inactive and `replaced-by` the survivor
// (the survivor `replaces` it), and records each resource it moved with its versions before and
// after. All in one transaction, audited with the score vector at decision time.
//
// An unmerge puts both Patients back exactly as they were before the merge, and every moved
// resource back on the duplicate: unchanged since the merge, it gets its pre-merge content
// back; edited since, it keeps the edit and only its references return to the duplicate.
// Resources added to the survivor after the merge stay with the survivor. Thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "custos/audit/audit_sink.h"
#include "custos/clinical/resource_store.h"
#include "custos/core/clock.h"
#include "custos/core/json.h"
#include "custos/core/request_context.h"
#include "custos/patients/registry.h"
#include "custos/storage/database.h"

namespace custos::patients {

struct MergeRequest {
  std::string survivor;
  std::string duplicate;
  std::string pair_id;  // the queue item decided by this merge, when there is one
  // Field → "survivor" | "duplicate": whose value survives. Fields: name, birth_date, sex, ssn,
  // address, phone, email. Unnamed fields keep the survivor's value.
  std::map<std::string, std::string> keep;
};

class Merger {
 public:
  Merger(storage::Database& database, audit::AuditSink& audit, const Clock& clock,
         clinical::ResourceStore& store, Registry& registry);

  // patients.merge. kInvalidArgument naming the field for a bad request, kNotFound for an unknown
  // patient, kConflict (reason "already_merged") when either patient is already replaced.
  // Returns the Merge (docs/API.md).
  Result<Json> Merge(const RequestContext& context, const MergeRequest& request);
  // kNotFound, kConflict (reason "already_unmerged").
  Result<Json> Unmerge(const RequestContext& context, const std::string& merge_id);
  // Merges involving `patient_id` (all when empty), newest first.
  Result<std::vector<Json>> List(const RequestContext& context, const std::string& patient_id);

 private:
  storage::Database& database_;
  audit::AuditSink& audit_;
  const Clock& clock_;
  clinical::ResourceStore& store_;
  Registry& registry_;
};

// Rewrites every reference to Patient/`from` in `resource` (relative or absolute) to
// Patient/`to`. Returns how many it changed.
int RewritePatientReferences(Json& resource, const std::string& from, const std::string& to);

}  // namespace custos::patients
