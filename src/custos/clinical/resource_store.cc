#include "custos/clinical/resource_store.h"

#include "custos/auth/permissions.h"
#include "custos/core/ids.h"

namespace custos::clinical {

namespace {

constexpr std::string_view kResourceColumns =
    "r.resource_type, r.id, v.version, v.last_updated, v.content, v.patient_id";

StoredResource FromRow(const storage::Row& row) {
  StoredResource resource;
  resource.resource_type = row.String(0);
  resource.id = row.String(1);
  resource.version = row.Int(2);
  resource.last_updated = row.String(3);
  resource.deleted = row.IsNull(4);
  if (!resource.deleted) resource.json = row.String(4);
  resource.patient_id = row.OptionalString(5);
  return resource;
}

// FHIR ids: 1-64 of [A-Za-z0-9-.].
bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  }
  return true;
}

audit::AuditEvent EventFor(const RequestContext& context, std::string action, const StoredResource& resource) {
  audit::AuditEvent event = audit::AuditEvent::For(context, std::move(action), resource.resource_type, resource.id);
  if (resource.patient_id) event.WithPatient(*resource.patient_id);
  event.WithDetails({{"version", resource.version}});
  return event;
}

}  // namespace

struct ResourceStore::Current {
  std::int64_t rid = 0;
  std::int64_t version = 0;
  bool deleted = false;
};

std::optional<std::string> CompartmentPatient(const std::string& resource_type, const std::string& id,
                                              const IndexEntries& entries) {
  if (resource_type == "Patient") return id;
  for (const char* param : {"patient", "subject", "beneficiary"}) {
    for (const auto& reference : entries.references) {
      if (reference.param == param && reference.target_type == "Patient" && !reference.target_id.empty()) {
        return reference.target_id;
      }
    }
  }
  return std::nullopt;
}

ResourceStore::ResourceStore(storage::Database& database, audit::AuditSink& audit, const Clock& clock,
                             const Definitions& definitions)
    : database_(database), audit_(audit), clock_(clock), definitions_(definitions), validator_(definitions) {}

Status ResourceStore::CheckWritable(const Json& resource, const std::string& expected_type,
                                    WriteOutcome* outcome) const {
  if (!resource.is_object()) return Status::InvalidArgument("a resource must be a JSON object", "body");
  const auto type = resource.find("resourceType");
  if (type == resource.end() || !type->is_string()) {
    return Status::InvalidArgument("resourceType is required", "resourceType");
  }
  const std::string& name = type->get_ref<const std::string&>();
  const auto& stored = definitions_.StoredResourceTypes();
  if (std::find(stored.begin(), stored.end(), name) == stored.end()) {
    return Status::InvalidArgument("resources of type " + name + " are not stored here", "resourceType");
  }
  if (!expected_type.empty() && name != expected_type) {
    return Status::InvalidArgument("resourceType " + name + " does not match the URL (" + expected_type + ")",
                                   "resourceType");
  }
  std::vector<ValidationIssue> issues = validator_.Validate(resource);
  bool has_error = false;
  for (const auto& issue : issues) has_error = has_error || issue.severity == "error";
  if (has_error) {
    const ValidationIssue* first = nullptr;
    for (const auto& issue : issues) {
      if (issue.severity == "error") {
        first = &issue;
        break;
      }
    }
    Status status = Status::InvalidArgument(first->message, first->expression).WithReason("invalid_resource");
    if (outcome) outcome->issues = std::move(issues);
    return status;
  }
  if (outcome) outcome->issues = std::move(issues);
  return Status::Ok();
}

Result<std::optional<ResourceStore::Current>> ResourceStore::LoadCurrent(storage::Transaction& tx,
                                                                         const std::string& type,
                                                                         const std::string& id, bool for_update) {
  std::string sql = "SELECT rid, version, deleted FROM resources WHERE resource_type = $1 AND id = $2";
  if (for_update && tx.backend() == storage::Backend::kPostgres) sql += " FOR UPDATE";
  CUSTOS_ASSIGN_OR_RETURN(auto row, tx.QueryOne(sql, {type, id}));
  if (!row) return std::optional<Current>();
  return std::optional<Current>(Current{row->Int(0), row->Int(1), row->Bool(2)});
}

Status ResourceStore::WriteIndex(storage::Transaction& tx, std::int64_t rid, const std::string& type,
                                 const std::optional<std::string>& patient_id, const IndexEntries& entries) {
  for (const auto& e : entries.tokens) {
    CUSTOS_RETURN_IF_ERROR(tx.Execute("INSERT INTO search_token (rid, resource_type, param, system, code, "
                                      "patient_id) VALUES ($1, $2, $3, $4, $5, $6)",
                                      {rid, type, e.param, e.system, e.code, patient_id})
                               .status());
  }
  for (const auto& e : entries.strings) {
    CUSTOS_RETURN_IF_ERROR(tx.Execute("INSERT INTO search_string (rid, resource_type, param, normalized, exact, "
                                      "patient_id) VALUES ($1, $2, $3, $4, $5, $6)",
                                      {rid, type, e.param, e.normalized, e.exact, patient_id})
                               .status());
  }
  for (const auto& e : entries.dates) {
    CUSTOS_RETURN_IF_ERROR(tx.Execute("INSERT INTO search_date (rid, resource_type, param, low, high, patient_id) "
                                      "VALUES ($1, $2, $3, $4, $5, $6)",
                                      {rid, type, e.param, e.low, e.high, patient_id})
                               .status());
  }
  for (const auto& e : entries.references) {
    CUSTOS_RETURN_IF_ERROR(tx.Execute("INSERT INTO search_reference (rid, resource_type, param, target_type, "
                                      "target_id, url, patient_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                      {rid, type, e.param, e.target_type, e.target_id, e.url, patient_id})
                               .status());
  }
  for (const auto& e : entries.quantities) {
    CUSTOS_RETURN_IF_ERROR(tx.Execute("INSERT INTO search_quantity (rid, resource_type, param, value, system, code, "
                                      "unit, patient_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                                      {rid, type, e.param, e.value, e.system, e.code, e.unit, patient_id})
                               .status());
  }
  for (const auto& e : entries.numbers) {
    CUSTOS_RETURN_IF_ERROR(tx.Execute("INSERT INTO search_number (rid, resource_type, param, value, patient_id) "
                                      "VALUES ($1, $2, $3, $4, $5)",
                                      {rid, type, e.param, e.value, patient_id})
                               .status());
  }
  for (const auto& e : entries.uris) {
    CUSTOS_RETURN_IF_ERROR(tx.Execute("INSERT INTO search_uri (rid, resource_type, param, uri, patient_id) "
                                      "VALUES ($1, $2, $3, $4, $5)",
                                      {rid, type, e.param, e.uri, patient_id})
                               .status());
  }
  return Status::Ok();
}

Result<StoredResource> ResourceStore::WriteVersion(storage::Transaction& tx, const RequestContext& context,
                                                   const std::string& type, const std::string& id,
                                                   const std::optional<Current>& current, Json* resource) {
  StoredResource stored;
  stored.resource_type = type;
  stored.id = id;
  stored.version = current ? current->version + 1 : 1;
  stored.last_updated = FormatTimestamp(clock_.Now());
  stored.deleted = resource == nullptr;
  IndexEntries entries;
  if (resource) {
    (*resource)["id"] = id;
    Json& meta = (*resource)["meta"];
    if (!meta.is_object()) meta = Json::object();
    meta["versionId"] = std::to_string(stored.version);
    meta["lastUpdated"] = stored.last_updated;
    CUSTOS_ASSIGN_OR_RETURN(entries, ExtractIndexEntries(*resource, definitions_.SearchParameters(type)));
    stored.patient_id = CompartmentPatient(type, id, entries);
    stored.json = resource->dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  std::int64_t rid = 0;
  if (current) {
    rid = current->rid;
    // A deleted resource keeps its compartment, so that its history is still found by patient.
    if (stored.deleted) {
      CUSTOS_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT patient_id FROM resources WHERE rid = $1", {rid}));
      if (row) stored.patient_id = row->OptionalString(0);
    }
    CUSTOS_RETURN_IF_ERROR(tx.Execute("UPDATE resources SET version = $1, patient_id = $2, last_updated = $3, "
                                      "deleted = $4 WHERE rid = $5",
                                      {stored.version, stored.patient_id, stored.last_updated, stored.deleted, rid})
                               .status());
    for (const char* table : {"search_token", "search_string", "search_date", "search_reference",
                              "search_quantity", "search_number", "search_uri"}) {
      CUSTOS_RETURN_IF_ERROR(
          tx.Execute("DELETE FROM " + std::string(table) + " WHERE rid = $1", {rid}).status());
    }
  } else {
    CUSTOS_RETURN_IF_ERROR(tx.Query("INSERT INTO resources (resource_type, id, version, patient_id, last_updated, "
                                    "deleted) VALUES ($1, $2, $3, $4, $5, $6) RETURNING rid",
                                    {type, id, stored.version, stored.patient_id, stored.last_updated, stored.deleted},
                                    [&rid](const storage::Row& row) {
                                      rid = row.Int(0);
                                      return true;
                                    }));
  }
  const char* method = stored.deleted ? "DELETE" : (current ? "PUT" : "POST");
  CUSTOS_RETURN_IF_ERROR(tx.Execute("INSERT INTO resource_versions (rid, version, patient_id, last_updated, method, "
                                    "content) VALUES ($1, $2, $3, $4, $5, $6)",
                                    {rid, stored.version, stored.patient_id, stored.last_updated, method,
                                     stored.deleted ? storage::Param(nullptr) : storage::Param(stored.json)})
                             .status());
  if (resource) CUSTOS_RETURN_IF_ERROR(WriteIndex(tx, rid, type, stored.patient_id, entries));
  const char* action = stored.deleted ? "resource.delete" : (current ? "resource.update" : "resource.create");
  CUSTOS_RETURN_IF_ERROR(audit_.Record(tx, EventFor(context, action, stored)));
  return stored;
}

Result<StoredResource> ResourceStore::CreateIn(storage::Transaction& tx, const RequestContext& context,
                                               Json resource, WriteOutcome* outcome, std::string id) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  CUSTOS_RETURN_IF_ERROR(CheckWritable(resource, "", outcome));
  const std::string type = resource["resourceType"].get<std::string>();
  if (id.empty()) id = NewId(clock_.Now());
  return WriteVersion(tx, context, type, id, std::nullopt, &resource);
}

Result<StoredResource> ResourceStore::UpdateIn(storage::Transaction& tx, const RequestContext& context,
                                               const std::string& type, const std::string& id, Json resource,
                                               std::optional<std::int64_t> if_match, WriteOutcome* outcome) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  if (!IsValidId(id)) return Status::InvalidArgument("not a valid resource id: " + id, "id");
  CUSTOS_RETURN_IF_ERROR(CheckWritable(resource, type, outcome));
  if (resource.contains("id") && resource["id"] != id) {
    return Status::InvalidArgument("the id in the body must match the id in the URL", "id");
  }
  CUSTOS_ASSIGN_OR_RETURN(std::optional<Current> current, LoadCurrent(tx, type, id, true));
  if (if_match && (!current || current->version != *if_match)) {
    return Status::Conflict("the resource has changed since version " + std::to_string(*if_match))
        .WithReason("version_conflict");
  }
  return WriteVersion(tx, context, type, id, current, &resource);
}

Result<StoredResource> ResourceStore::DeleteIn(storage::Transaction& tx, const RequestContext& context,
                                               const std::string& type, const std::string& id,
                                               std::optional<std::int64_t> if_match) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  CUSTOS_ASSIGN_OR_RETURN(std::optional<Current> current, LoadCurrent(tx, type, id, true));
  if (!current) return Status::NotFound("no " + type + "/" + id);
  if (if_match && current->version != *if_match) {
    return Status::Conflict("the resource has changed since version " + std::to_string(*if_match))
        .WithReason("version_conflict");
  }
  if (current->deleted) {
    // Deleting twice changes nothing (FHIR: idempotent).
    CUSTOS_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT " + std::string(kResourceColumns) +
                                                      " FROM resources r JOIN resource_versions v ON v.rid = r.rid "
                                                      "AND v.version = r.version WHERE r.rid = $1",
                                                  {current->rid}));
    return FromRow(*row);
  }
  return WriteVersion(tx, context, type, id, current, nullptr);
}

Result<StoredResource> ResourceStore::Create(const RequestContext& context, Json resource, WriteOutcome* outcome) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(StoredResource stored, CreateIn(*tx, context, std::move(resource), outcome));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return stored;
}

Result<StoredResource> ResourceStore::Update(const RequestContext& context, const std::string& type,
                                             const std::string& id, Json resource,
                                             std::optional<std::int64_t> if_match, WriteOutcome* outcome) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(StoredResource stored,
                          UpdateIn(*tx, context, type, id, std::move(resource), if_match, outcome));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return stored;
}

Result<StoredResource> ResourceStore::Delete(const RequestContext& context, const std::string& type,
                                             const std::string& id, std::optional<std::int64_t> if_match) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(StoredResource stored, DeleteIn(*tx, context, type, id, if_match));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return stored;
}

Status ResourceStore::AuditRead(const RequestContext& context, const StoredResource& resource,
                                std::string_view action) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_RETURN_IF_ERROR(audit_.Record(*tx, EventFor(context, std::string(action), resource)));
  return tx->Commit();
}

Result<StoredResource> ResourceStore::Read(const RequestContext& context, const std::string& type,
                                           const std::string& id) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalRead));
  std::optional<StoredResource> found;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_ASSIGN_OR_RETURN(auto row, tx->QueryOne("SELECT " + std::string(kResourceColumns) +
                                                       " FROM resources r JOIN resource_versions v ON v.rid = r.rid "
                                                       "AND v.version = r.version WHERE r.resource_type = $1 AND "
                                                       "r.id = $2",
                                                   {type, id}));
    if (!row) return Status::NotFound("no " + type + "/" + id);
    found = FromRow(*row);
  }
  // The data leaves only once its reading is on the audit trail.
  CUSTOS_RETURN_IF_ERROR(AuditRead(context, *found, "resource.read"));
  if (found->deleted) return Status::NotFound(type + "/" + id + " was deleted").WithReason("deleted");
  return *found;
}

Result<StoredResource> ResourceStore::ReadVersion(const RequestContext& context, const std::string& type,
                                                  const std::string& id, std::int64_t version) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalRead));
  std::optional<StoredResource> found;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_ASSIGN_OR_RETURN(auto row, tx->QueryOne("SELECT " + std::string(kResourceColumns) +
                                                       " FROM resources r JOIN resource_versions v ON v.rid = r.rid "
                                                       "WHERE r.resource_type = $1 AND r.id = $2 AND v.version = $3",
                                                   {type, id, version}));
    if (!row) return Status::NotFound("no version " + std::to_string(version) + " of " + type + "/" + id);
    found = FromRow(*row);
  }
  CUSTOS_RETURN_IF_ERROR(AuditRead(context, *found, "resource.vread"));
  if (found->deleted) return Status::NotFound("version " + std::to_string(version) + " is a deletion").WithReason("deleted");
  return *found;
}

Result<std::vector<StoredResource>> ResourceStore::History(const RequestContext& context, const std::string& type,
                                                           const std::string& id) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalRead));
  std::vector<StoredResource> versions;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_RETURN_IF_ERROR(tx->Query("SELECT " + std::string(kResourceColumns) +
                                         " FROM resources r JOIN resource_versions v ON v.rid = r.rid "
                                         "WHERE r.resource_type = $1 AND r.id = $2 ORDER BY v.version DESC",
                                     {type, id}, [&](const storage::Row& row) {
                                       versions.push_back(FromRow(row));
                                       return true;
                                     }));
  }
  if (versions.empty()) return Status::NotFound("no " + type + "/" + id);
  CUSTOS_RETURN_IF_ERROR(AuditRead(context, versions.front(), "resource.history"));
  return versions;
}

}  // namespace custos::clinical
