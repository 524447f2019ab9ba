#include "custos/clinical/resource_store.h"

#include <algorithm>
#include <functional>
#include <future>
#include <set>
#include <tuple>
#include <unordered_map>

#include "custos/audit/read_audit.h"
#include "custos/auth/permissions.h"
#include "custos/clinical/patient_record.h"
#include "custos/clinical/resource_codec.h"
#include "custos/core/ids.h"

namespace custos::clinical {

Result<StoredResource> StoredResourceFromRow(const storage::Row& row) {
  StoredResource resource;
  resource.resource_type = row.String(0);
  resource.id = row.String(1);
  resource.version = row.Int(2);
  resource.last_updated = row.String(3);
  resource.patient_id = row.OptionalString(4);
  resource.deleted = row.IsNull(5) && row.IsNull(6);
  if (!resource.deleted) {
    CUSTOS_ASSIGN_OR_RETURN(resource.json, ContentFromRow(row, 5));
  }
  return resource;
}

namespace {

Result<StoredResource> FromRow(const storage::Row& row) { return StoredResourceFromRow(row); }

// FHIR ids: 1-64 of [A-Za-z0-9-.].
bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  }
  return true;
}

audit::AuditEvent EventFor(const RequestContext& context, std::string action,
                           const StoredResource& resource) {
  audit::AuditEvent event =
      audit::AuditEvent::For(context, std::move(action), resource.resource_type, resource.id);
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

std::optional<std::string> CompartmentPatient(const std::string& resource_type,
                                              const std::string& id, const IndexEntries& entries) {
  if (resource_type == "Patient") return id;
  for (const char* param : {"patient", "subject", "beneficiary"}) {
    for (const auto& reference : entries.references) {
      if (reference.param == param && reference.target_type == "Patient" &&
          !reference.target_id.empty()) {
        return reference.target_id;
      }
    }
  }
  return std::nullopt;
}

ResourceStore::ResourceStore(storage::Database& database, audit::AuditSink& audit,
                             const Clock& clock, const Definitions& definitions)
    : database_(database),
      audit_(audit),
      clock_(clock),
      definitions_(definitions),
      validator_(definitions),
      layout_(IndexLayout::For(definitions)) {}

Status ResourceStore::CheckType(const JsonValue& resource, const std::string& expected_type) const {
  if (!resource.is_object())
    return Status::InvalidArgument("a resource must be a JSON object", "body");
  const JsonValue type = resource.find("resourceType");
  if (!type.is_string()) {
    return Status::InvalidArgument("resourceType is required", "resourceType");
  }
  const std::string_view name = type.string();
  const auto& stored = definitions_.StoredResourceTypes();
  if (std::find(stored.begin(), stored.end(), name) == stored.end()) {
    return Status::InvalidArgument(
        "resources of type " + std::string(name) + " are not stored here", "resourceType");
  }
  if (!expected_type.empty() && name != expected_type) {
    return Status::InvalidArgument(
        "resourceType " + std::string(name) + " does not match the URL (" + expected_type + ")",
        "resourceType");
  }
  return Status::Ok();
}

Status ResourceStore::CheckValid(const JsonValue& resource, WriteOutcome* outcome) const {
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
    Status status =
        Status::InvalidArgument(first->message, first->expression).WithReason("invalid_resource");
    if (outcome) outcome->issues = std::move(issues);
    return status;
  }
  if (outcome) outcome->issues = std::move(issues);
  return Status::Ok();
}

Result<std::optional<ResourceStore::Current>> ResourceStore::LoadCurrent(storage::Transaction& tx,
                                                                         const std::string& type,
                                                                         const std::string& id,
                                                                         bool for_update) {
  std::string sql =
      "SELECT rid, version, deleted FROM resources WHERE resource_type = $1 AND id = $2";
  if (for_update && tx.backend() == storage::Backend::kPostgres) sql += " FOR UPDATE";
  CUSTOS_ASSIGN_OR_RETURN(auto row, tx.QueryOne(sql, {type, id}));
  if (!row) return std::optional<Current>();
  return std::optional<Current>(Current{row->Int(0), row->Int(1), row->Bool(2)});
}

namespace {

// INSERT INTO `table` (`columns`) VALUES (…), (…), … for `rows` rows of `width` values, up to
// kRowsPerStatement rows per statement (statements are cached per row count, so only a few
// shapes exist). `bind(i, params)` appends the values of row i.
constexpr size_t kRowsPerStatement = 64;
// `suffix` follows the VALUES (ON CONFLICT, RETURNING); with `returned`, each returned row goes
// to it.
Status InsertMany(storage::Transaction& tx, std::string_view table, std::string_view columns,
                  int width, size_t rows, const std::function<void(size_t, storage::Params&)>& bind,
                  std::string_view overriding = "", std::string_view suffix = "",
                  const storage::RowVisitor& returned = nullptr) {
  for (size_t start = 0; start < rows; start += kRowsPerStatement) {
    const size_t count = std::min(kRowsPerStatement, rows - start);
    const std::string& placeholders = storage::RowPlaceholders(width, count);
    std::string sql;
    sql.reserve(32 + table.size() + columns.size() + overriding.size() + placeholders.size() +
                suffix.size());
    sql.append("INSERT INTO ").append(table).append(" (").append(columns).append(") ");
    sql.append(overriding).append("VALUES ").append(placeholders).append(suffix);
    storage::Params params;
    params.reserve(count * static_cast<size_t>(width));
    for (size_t row = 0; row < count; ++row) bind(start + row, params);
    if (returned) {
      CUSTOS_RETURN_IF_ERROR(tx.Query(sql, params, returned));
    } else {
      CUSTOS_RETURN_IF_ERROR(tx.Execute(sql, params).status());
    }
  }
  return Status::Ok();
}

// The index rows of several resources, one table at a time.
struct IndexedResource {
  std::int64_t rid;
  const std::string* type;
  const IndexEntries* entries;
};

// The rows go in in the order of the table's lookup index (`before` orders entries of the same
// parameter): neighbouring inserts then land on the same index pages, which a transaction then
// writes once instead of once per scattered insert.
template <typename Entry, typename Bind, typename Before>
Status InsertIndexRows(storage::Transaction& tx, std::string_view table, std::string_view columns,
                       int value_columns, const std::vector<IndexedResource>& resources,
                       std::vector<Entry> IndexEntries::*member, Bind bind, Before before) {
  struct Row {
    std::int32_t param;
    std::int64_t rid;
    const Entry* entry;
  };
  std::vector<Row> rows;
  for (const auto& resource : resources) {
    for (const auto& entry : resource.entries->*member)
      rows.push_back({ParamId(*resource.type, entry.param), resource.rid, &entry});
  }
  std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    if (a.param != b.param) return a.param < b.param;
    return before(*a.entry, *b.entry);
  });
  return InsertMany(tx, table, "rid, param, " + std::string(columns), value_columns + 2,
                    rows.size(), [&](size_t i, storage::Params& params) {
                      params.emplace_back(rows[i].rid);
                      params.emplace_back(std::int64_t{rows[i].param});
                      bind(*rows[i].entry, params);
                    });
}

Status WriteIndexRows(storage::Transaction& tx, const std::vector<IndexedResource>& resources) {
  CUSTOS_RETURN_IF_ERROR(InsertIndexRows(
      tx, "search_token", "system, code", 2, resources, &IndexEntries::tokens,
      [](const TokenEntry& e, storage::Params& p) {
        p.emplace_back(e.system);
        p.emplace_back(e.code);
      },
      [](const TokenEntry& a, const TokenEntry& b) {
        return std::tie(a.code, a.system) < std::tie(b.code, b.system);
      }));
  CUSTOS_RETURN_IF_ERROR(InsertIndexRows(
      tx, "search_string", "normalized, exact", 2, resources, &IndexEntries::strings,
      [](const StringEntry& e, storage::Params& p) {
        p.emplace_back(e.normalized);
        p.emplace_back(e.exact);
      },
      [](const StringEntry& a, const StringEntry& b) { return a.normalized < b.normalized; }));
  CUSTOS_RETURN_IF_ERROR(InsertIndexRows(
      tx, "search_date", "low, high", 2, resources, &IndexEntries::dates,
      [](const DateEntry& e, storage::Params& p) {
        p.emplace_back(e.low);
        p.emplace_back(e.high);
      },
      [](const DateEntry& a, const DateEntry& b) {
        return std::tie(a.low, a.high) < std::tie(b.low, b.high);
      }));
  // The reference lookup index leads with the target (the parameter second); ordering by
  // parameter first still groups each target's rows.
  CUSTOS_RETURN_IF_ERROR(InsertIndexRows(
      tx, "search_reference", "target_type, target_id, url", 3, resources,
      &IndexEntries::references,
      [](const ReferenceEntry& e, storage::Params& p) {
        p.emplace_back(e.target_type);
        p.emplace_back(e.target_id);
        // Only what type and id cannot say again.
        if (e.target_type.empty()) {
          p.emplace_back(e.url);
        } else {
          p.emplace_back(nullptr);
        }
      },
      [](const ReferenceEntry& a, const ReferenceEntry& b) { return a.target_id < b.target_id; }));
  CUSTOS_RETURN_IF_ERROR(InsertIndexRows(
      tx, "search_quantity", "value, system, code, unit", 4, resources, &IndexEntries::quantities,
      [](const QuantityEntry& e, storage::Params& p) {
        p.emplace_back(e.value);
        p.emplace_back(e.system);
        p.emplace_back(e.code);
        p.emplace_back(e.unit);
      },
      [](const QuantityEntry& a, const QuantityEntry& b) {
        return std::tie(a.code, a.value) < std::tie(b.code, b.value);
      }));
  CUSTOS_RETURN_IF_ERROR(InsertIndexRows(
      tx, "search_number", "value", 1, resources, &IndexEntries::numbers,
      [](const NumberEntry& e, storage::Params& p) { p.emplace_back(e.value); },
      [](const NumberEntry& a, const NumberEntry& b) { return a.value < b.value; }));
  return InsertIndexRows(
      tx, "search_uri", "uri", 1, resources, &IndexEntries::uris,
      [](const UriEntry& e, storage::Params& p) { p.emplace_back(e.uri); },
      [](const UriEntry& a, const UriEntry& b) { return a.uri < b.uri; });
}

}  // namespace

Status ResourceStore::WriteIndex(storage::Transaction& tx, std::int64_t rid,
                                 const std::string& type, const IndexEntries& entries) {
  return WriteIndexRows(tx, {IndexedResource{rid, &type, &entries}});
}

Result<std::int64_t> ResourceStore::RebuildSearchIndexIfAsked(const RequestContext& context) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  constexpr std::int64_t kBatch = 500;
  std::int64_t indexed = 0;
  for (;;) {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
    CUSTOS_ASSIGN_OR_RETURN(auto asked,
                            tx->QueryOne("SELECT next_rid FROM search_index_rebuild WHERE id = 1"));
    if (!asked) return indexed;
    const std::int64_t from = asked->Int(0);
    std::vector<std::int64_t> rids;
    std::vector<std::string> types;
    std::vector<IndexEntries> entries;
    CUSTOS_RETURN_IF_ERROR(tx->Query(
        "SELECT r.rid, r.resource_type, " + std::string(kContentColumns) +
            " FROM resources r JOIN resource_versions v ON "
            "v.rid = r.rid AND v.version = r.version WHERE r.rid >= $1 AND r.deleted = 0 ORDER BY "
            "r.rid LIMIT $2",
        {from, kBatch}, [&](const storage::Row& row) {
          JsonDocument resource;
          const auto text = ContentFromRow(row, 2);
          const bool parsed = text.ok() && resource.Parse(*text).ok();
          rids.push_back(row.Int(0));
          types.push_back(row.String(1));
          auto extracted = !parsed ? Result<IndexEntries>(IndexEntries{})
                                   : ExtractIndexEntries(resource.root(),
                                                         layout_->StoredParameters(types.back()));
          entries.push_back(extracted.ok() ? std::move(extracted).value() : IndexEntries{});
          return true;
        }));
    if (rids.empty()) {
      CUSTOS_RETURN_IF_ERROR(tx->Execute("DELETE FROM search_index_rebuild").status());
      CUSTOS_RETURN_IF_ERROR(
          audit_.Record(*tx, audit::AuditEvent::For(context, "search_index.rebuild", "", "")
                                 .WithDetails({{"resources", indexed}})));
      CUSTOS_RETURN_IF_ERROR(tx->Commit());
      CUSTOS_RETURN_IF_ERROR(database_.RefreshStatistics());
      return indexed;
    }
    for (const char* table : {"search_token", "search_string", "search_date", "search_reference",
                              "search_quantity", "search_number", "search_uri"}) {
      CUSTOS_RETURN_IF_ERROR(
          tx->Execute("DELETE FROM " + std::string(table) + " WHERE rid >= $1 AND rid <= $2",
                      {rids.front(), rids.back()})
              .status());
    }
    std::vector<IndexedResource> batch;
    for (size_t i = 0; i < rids.size(); ++i) batch.push_back({rids[i], &types[i], &entries[i]});
    CUSTOS_RETURN_IF_ERROR(WriteIndexRows(*tx, batch));
    CUSTOS_RETURN_IF_ERROR(
        tx->Execute("UPDATE search_index_rebuild SET next_rid = $1", {rids.back() + 1}).status());
    CUSTOS_RETURN_IF_ERROR(tx->Commit());
    indexed += static_cast<std::int64_t>(rids.size());
  }
}

namespace {

// The text a resource is stored as: its members in the order written, with `id` and meta's
// versionId and lastUpdated set (inserted after resourceType when absent), every `reference`
// found in `references` rewritten, and no white space outside strings. Records where the meta
// values are, so that another version can be written without a new serialisation.
void WriteResourceText(const JsonValue& resource, const std::string& id,
                       const std::string& last_updated, const ReferenceMap* references,
                       PreparedResource& prepared) {
  std::string& out = prepared.json;
  out.clear();
  out.reserve(resource.raw().size());
  auto rewrite = [references](const JsonValue& member, std::string& text) {
    if (references == nullptr || member.key() != "reference" || !member.is_string()) return false;
    const auto mapped = references->find(member.string());
    if (mapped == references->end()) return false;
    AppendJsonString(text, mapped->second);
    return true;
  };
  auto write_meta_values = [&](std::string& text) {
    text += "\"versionId\":\"";
    prepared.version_at = text.size();
    text += "1";
    text += "\",\"lastUpdated\":\"";
    prepared.updated_at = text.size();
    text += last_updated;
    text += '"';
  };
  const bool has_id = resource.find("id").exists();
  const bool has_meta = resource.find("meta").is_object();
  bool first = true;
  out.push_back('{');
  for (const JsonValue member : resource.children()) {
    const std::string_view key = member.key();
    if (key == "meta" && !has_meta) continue;  // not an object: replaced below
    if (!first) out.push_back(',');
    first = false;
    if (key == "id") {
      out += "\"id\":";
      AppendJsonString(out, id);
    } else if (key == "meta") {
      out += "\"meta\":{";
      bool any = false;
      for (const JsonValue field : member.children()) {
        if (field.key() == "versionId" || field.key() == "lastUpdated") continue;
        if (any) out.push_back(',');
        any = true;
        field.AppendName(out);
        out.push_back(':');
        if (!rewrite(field, out)) field.AppendCompact(out, rewrite);
      }
      if (any) out.push_back(',');
      write_meta_values(out);
      out.push_back('}');
    } else {
      member.AppendName(out);
      out.push_back(':');
      member.AppendCompact(out, rewrite);
    }
    if (key == "resourceType") {
      if (!has_id) {
        out += ",\"id\":";
        AppendJsonString(out, id);
      }
      if (!has_meta) {
        out += ",\"meta\":{";
        write_meta_values(out);
        out.push_back('}');
      }
    }
  }
  out.push_back('}');
  prepared.version_length = 1;
  prepared.updated_length = last_updated.size();
}

}  // namespace

void PreparedResource::SetVersion(std::int64_t new_version, std::string new_last_updated) {
  const std::string version_text = std::to_string(new_version);
  // The later value first, so that the earlier one's offset stays right; then the later one
  // moves by as much as the earlier one grew.
  if (version_at < updated_at) {
    json.replace(updated_at, updated_length, new_last_updated);
    json.replace(version_at, version_length, version_text);
    updated_at = updated_at + version_text.size() - version_length;
  } else {
    json.replace(version_at, version_length, version_text);
    json.replace(updated_at, updated_length, new_last_updated);
    version_at = version_at + new_last_updated.size() - updated_length;
  }
  version_length = version_text.size();
  updated_length = new_last_updated.size();
  version = new_version;
  last_updated = std::move(new_last_updated);
  compressed = CompressResource(json);
}

Result<PreparedResource> ResourceStore::Prepare(const JsonValue& resource, std::string id,
                                                const std::string& expected_type,
                                                WriteOutcome* outcome,
                                                const ReferenceMap* references) const {
  CUSTOS_RETURN_IF_ERROR(CheckType(resource, expected_type));
  PreparedResource prepared;
  prepared.resource_type = std::string(resource.find("resourceType").string());
  prepared.id = id.empty() ? NewId(clock_.Now()) : std::move(id);
  if (!IsValidId(prepared.id))
    return Status::InvalidArgument("not a valid resource id: " + prepared.id, "id");
  prepared.last_updated = FormatTimestamp(clock_.Now());
  WriteResourceText(resource, prepared.id, prepared.last_updated, references, prepared);
  // What is validated and indexed is what is stored: the references already rewritten.
  thread_local JsonDocument stored;
  CUSTOS_RETURN_IF_ERROR(stored.Parse(prepared.json));
  CUSTOS_RETURN_IF_ERROR(CheckValid(stored.root(), outcome));
  CUSTOS_ASSIGN_OR_RETURN(
      prepared.entries,
      ExtractIndexEntries(stored.root(), layout_->StoredParameters(prepared.resource_type)));
  prepared.patient_id = CompartmentPatient(prepared.resource_type, prepared.id, prepared.entries);
  prepared.compressed = CompressResource(prepared.json);
  return prepared;
}

Result<PreparedResource> ResourceStore::Prepare(const Json& resource, std::string id,
                                                const std::string& expected_type,
                                                WriteOutcome* outcome) const {
  const std::string text = resource.dump(-1, ' ', false, Json::error_handler_t::replace);
  JsonDocument document;
  CUSTOS_RETURN_IF_ERROR(document.Parse(text));
  return Prepare(document.root(), std::move(id), expected_type, outcome);
}

Result<StoredResource> ResourceStore::WritePrepared(storage::Transaction& tx,
                                                    const RequestContext& context,
                                                    PreparedResource& prepared, bool audit) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  CUSTOS_ASSIGN_OR_RETURN(std::optional<Current> current,
                          LoadCurrent(tx, prepared.resource_type, prepared.id, true));
  return WriteVersion(tx, context, prepared.resource_type, prepared.id, current, &prepared, audit);
}

Status ResourceStore::WritePreparedBatch(storage::Transaction& tx, const RequestContext& context,
                                         std::vector<PreparedResource>& batch) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  const bool postgres = tx.backend() == storage::Backend::kPostgres;
  if (batch.empty()) return Status::Ok();
  // Row ids, assigned here so that every row of the batch can be inserted many per statement.
  std::vector<std::int64_t> rids;
  rids.reserve(batch.size());
  if (postgres) {
    CUSTOS_RETURN_IF_ERROR(tx.Query(
        "SELECT nextval(pg_get_serial_sequence('resources', 'rid')) FROM generate_series(1, $1)",
        {static_cast<std::int64_t>(batch.size())}, [&](const storage::Row& row) {
          rids.push_back(row.Int(0));
          return true;
        }));
  } else {
    // The write lock is held (BEGIN IMMEDIATE), so nobody else takes these.
    CUSTOS_ASSIGN_OR_RETURN(std::int64_t last,
                            tx.QueryInt("SELECT COALESCE(MAX(rid), 0) FROM resources"));
    for (size_t i = 0; i < batch.size(); ++i)
      rids.push_back(last + 1 + static_cast<std::int64_t>(i));
  }
  if (rids.size() != batch.size()) return Status::Internal("could not assign row ids");
  // New resources go in many per statement. A type and id that exist already, or repeat within
  // the batch, are left out (ON CONFLICT) and become new versions one at a time, after the new
  // ones are in, so that a repeat finds its first occurrence. (Asking first which ids exist took
  // a twentieth of an import's writing thread: the insert looks each one up anyway.)
  std::unordered_map<std::int64_t, size_t> index_of_rid;
  index_of_rid.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) index_of_rid.emplace(rids[i], i);
  std::vector<bool> inserted(batch.size(), false);
  CUSTOS_RETURN_IF_ERROR(InsertMany(
      tx, "resources", "rid, resource_type, id, version, patient_id, last_updated, deleted", 7,
      batch.size(),
      [&](size_t i, storage::Params& params) {
        const PreparedResource& resource = batch[i];
        params.emplace_back(rids[i]);
        params.emplace_back(resource.resource_type);
        params.emplace_back(resource.id);
        params.emplace_back(resource.version);
        params.emplace_back(resource.patient_id);
        params.emplace_back(resource.last_updated);
        params.emplace_back(false);
      },
      postgres ? "OVERRIDING SYSTEM VALUE " : "",
      " ON CONFLICT (resource_type, id) DO NOTHING RETURNING rid",
      [&](const storage::Row& row) {
        const auto found = index_of_rid.find(row.Int(0));
        if (found != index_of_rid.end()) inserted[found->second] = true;
        return true;
      }));
  std::vector<PreparedResource*> fresh;
  std::vector<std::int64_t> fresh_rids;
  std::vector<PreparedResource*> again;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (inserted[i]) {
      fresh.push_back(&batch[i]);
      fresh_rids.push_back(rids[i]);
    } else {
      again.push_back(&batch[i]);
    }
  }
  CUSTOS_RETURN_IF_ERROR(InsertMany(tx, "resource_versions",
                                    "rid, version, patient_id, last_updated, method, content_z", 6,
                                    fresh.size(), [&](size_t i, storage::Params& params) {
                                      const PreparedResource& resource = *fresh[i];
                                      params.emplace_back(fresh_rids[i]);
                                      params.emplace_back(resource.version);
                                      params.emplace_back(resource.patient_id);
                                      params.emplace_back(resource.last_updated);
                                      params.emplace_back("POST");
                                      params.emplace_back(storage::Bytes{resource.compressed});
                                    }));
  std::vector<IndexedResource> indexed;
  indexed.reserve(fresh.size());
  for (size_t i = 0; i < fresh.size(); ++i) {
    indexed.push_back({fresh_rids[i], &fresh[i]->resource_type, &fresh[i]->entries});
  }
  CUSTOS_RETURN_IF_ERROR(WriteIndexRows(tx, indexed));
  for (PreparedResource* resource : again) {
    CUSTOS_RETURN_IF_ERROR(WritePrepared(tx, context, *resource, /*audit=*/false).status());
  }
  return Status::Ok();
}

Result<StoredResource> ResourceStore::WriteVersion(storage::Transaction& tx,
                                                   const RequestContext& context,
                                                   const std::string& type, const std::string& id,
                                                   const std::optional<Current>& current,
                                                   PreparedResource* prepared, bool audit) {
  StoredResource stored;
  stored.resource_type = type;
  stored.id = id;
  stored.version = current ? current->version + 1 : 1;
  stored.deleted = prepared == nullptr;
  if (prepared) {
    if (prepared->version != stored.version) {
      // Prepared as a first version, but one exists: the meta changes, and so does the text.
      prepared->SetVersion(stored.version, FormatTimestamp(clock_.Now()));
    }
    stored.last_updated = prepared->last_updated;
    stored.patient_id = prepared->patient_id;
    stored.json = prepared->json;
  } else {
    stored.last_updated = FormatTimestamp(clock_.Now());
  }
  std::int64_t rid = 0;
  if (current) {
    rid = current->rid;
    // A deleted resource keeps its compartment, so that its history is still found by patient.
    if (stored.deleted) {
      CUSTOS_ASSIGN_OR_RETURN(
          auto row, tx.QueryOne("SELECT patient_id FROM resources WHERE rid = $1", {rid}));
      if (row) stored.patient_id = row->OptionalString(0);
    }
    CUSTOS_RETURN_IF_ERROR(
        tx.Execute("UPDATE resources SET version = $1, patient_id = $2, last_updated = $3, "
                   "deleted = $4 WHERE rid = $5",
                   {stored.version, stored.patient_id, stored.last_updated, stored.deleted, rid})
            .status());
    for (const char* table : {"search_token", "search_string", "search_date", "search_reference",
                              "search_quantity", "search_number", "search_uri"}) {
      CUSTOS_RETURN_IF_ERROR(
          tx.Execute("DELETE FROM " + std::string(table) + " WHERE rid = $1", {rid}).status());
    }
  } else {
    CUSTOS_RETURN_IF_ERROR(
        tx.Query("INSERT INTO resources (resource_type, id, version, patient_id, last_updated, "
                 "deleted) VALUES ($1, $2, $3, $4, $5, $6) RETURNING rid",
                 {type, id, stored.version, stored.patient_id, stored.last_updated, stored.deleted},
                 [&rid](const storage::Row& row) {
                   rid = row.Int(0);
                   return true;
                 }));
  }
  const char* method = stored.deleted ? "DELETE" : (current ? "PUT" : "POST");
  CUSTOS_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO resource_versions (rid, version, patient_id, last_updated, method, "
                 "content_z) VALUES ($1, $2, $3, $4, $5, $6)",
                 {rid, stored.version, stored.patient_id, stored.last_updated, method,
                  prepared ? storage::Param(storage::Bytes{prepared->compressed})
                           : storage::Param(nullptr)})
          .status());
  if (prepared) CUSTOS_RETURN_IF_ERROR(WriteIndex(tx, rid, type, prepared->entries));
  if (audit) {
    const char* action =
        stored.deleted ? "resource.delete" : (current ? "resource.update" : "resource.create");
    CUSTOS_RETURN_IF_ERROR(audit_.Record(tx, EventFor(context, action, stored)));
  }
  return stored;
}

Result<StoredResource> ResourceStore::CreateIn(storage::Transaction& tx,
                                               const RequestContext& context, Json resource,
                                               WriteOutcome* outcome, std::string id) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  CUSTOS_ASSIGN_OR_RETURN(PreparedResource prepared,
                          Prepare(std::move(resource), std::move(id), "", outcome));
  return WriteVersion(tx, context, prepared.resource_type, prepared.id, std::nullopt, &prepared,
                      true);
}

Result<StoredResource> ResourceStore::UpdateIn(storage::Transaction& tx,
                                               const RequestContext& context,
                                               const std::string& type, const std::string& id,
                                               Json resource, std::optional<std::int64_t> if_match,
                                               WriteOutcome* outcome) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  if (!IsValidId(id)) return Status::InvalidArgument("not a valid resource id: " + id, "id");
  if (resource.is_object() && resource.contains("id") && resource["id"] != id) {
    return Status::InvalidArgument("the id in the body must match the id in the URL", "id");
  }
  CUSTOS_ASSIGN_OR_RETURN(PreparedResource prepared,
                          Prepare(std::move(resource), id, type, outcome));
  CUSTOS_ASSIGN_OR_RETURN(std::optional<Current> current, LoadCurrent(tx, type, id, true));
  if (if_match && (!current || current->version != *if_match)) {
    return Status::Conflict("the resource has changed since version " + std::to_string(*if_match))
        .WithReason("version_conflict");
  }
  return WriteVersion(tx, context, type, id, current, &prepared, true);
}

Result<StoredResource> ResourceStore::DeleteIn(storage::Transaction& tx,
                                               const RequestContext& context,
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
    CUSTOS_ASSIGN_OR_RETURN(
        auto row, tx.QueryOne("SELECT " + std::string(kResourceColumns) +
                                  " FROM resources r JOIN resource_versions v ON v.rid = r.rid "
                                  "AND v.version = r.version WHERE r.rid = $1",
                              {current->rid}));
    return FromRow(*row);
  }
  return WriteVersion(tx, context, type, id, current, nullptr, true);
}

Result<StoredResource> ResourceStore::Create(const RequestContext& context, Json resource,
                                             WriteOutcome* outcome) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(StoredResource stored,
                          CreateIn(*tx, context, std::move(resource), outcome));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return stored;
}

Result<StoredResource> ResourceStore::Update(const RequestContext& context, const std::string& type,
                                             const std::string& id, Json resource,
                                             std::optional<std::int64_t> if_match,
                                             WriteOutcome* outcome) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(StoredResource stored,
                          UpdateIn(*tx, context, type, id, std::move(resource), if_match, outcome));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return stored;
}

Result<StoredResource> ResourceStore::Delete(const RequestContext& context, const std::string& type,
                                             const std::string& id,
                                             std::optional<std::int64_t> if_match) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(StoredResource stored, DeleteIn(*tx, context, type, id, if_match));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return stored;
}

Status ResourceStore::AuditRead(const RequestContext& context, const StoredResource& resource,
                                std::string_view action) {
  std::vector<audit::AuditEvent> events;
  events.push_back(EventFor(context, std::string(action), resource));
  return audit::RecordRead(database_, audit_, context, std::move(events));
}

Result<StoredResource> ResourceStore::Read(const RequestContext& context, const std::string& type,
                                           const std::string& id) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalRead));
  std::optional<StoredResource> found;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kSingleQuery));
    CUSTOS_ASSIGN_OR_RETURN(
        auto row, tx->QueryOne("SELECT " + std::string(kResourceColumns) +
                                   " FROM resources r JOIN resource_versions v ON v.rid = r.rid "
                                   "AND v.version = r.version WHERE r.resource_type = $1 AND "
                                   "r.id = $2",
                               {type, id}));
    if (!row) return Status::NotFound("no " + type + "/" + id);
    CUSTOS_ASSIGN_OR_RETURN(found, FromRow(*row));
  }
  // The data leaves only once its reading is on the audit trail.
  CUSTOS_RETURN_IF_ERROR(AuditRead(context, *found, "resource.read"));
  if (found->deleted)
    return Status::NotFound(type + "/" + id + " was deleted").WithReason("deleted");
  return *found;
}

struct ResourceStore::BatchedRead {
  RequestContext context;
  std::string type;
  std::string id;
  Result<StoredResource> result = Status::Internal("not read");
};

struct ResourceStore::NotedReads {
  std::uint64_t transaction = 0;  // the serial of the transaction `reads` were noted in
  std::vector<std::shared_ptr<BatchedRead>> reads;
};

void ResourceStore::SetReadBatcher(audit::AuditBatcher* batcher) {
  read_batcher_ = batcher;
  if (batcher == nullptr) return;  // the batcher keeps its step for what is still queued
  auto noted = std::make_shared<NotedReads>();
  noted_reads_ = noted;
  batcher->SetBatchStep(
      [this, noted](storage::Transaction& tx, std::vector<audit::AuditEvent>& events) {
        return ReadNoted(*noted, tx, events);
      });
}

Status ResourceStore::ReadNoted(NotedReads& noted, storage::Transaction& tx,
                                std::vector<audit::AuditEvent>& events) {
  // Reads noted in a batch that failed before its step are that batch's; their requests have
  // had its error.
  if (noted.transaction != tx.serial() || noted.reads.empty()) return Status::Ok();
  std::vector<std::shared_ptr<BatchedRead>> reads = std::move(noted.reads);
  noted.reads.clear();

  // Many requests may read the same resource; each different one is looked up once.
  std::unordered_map<std::string, std::size_t> key_index;  // "type/id" → keys
  std::vector<const BatchedRead*> keys;
  std::vector<std::size_t> key_of(reads.size());
  std::vector<int> readers;  // of each key, counted down as they get their answer
  for (std::size_t n = 0; n < reads.size(); ++n) {
    const auto [it, added] = key_index.emplace(reads[n]->type + "/" + reads[n]->id, keys.size());
    if (added) {
      keys.push_back(reads[n].get());
      readers.push_back(0);
    }
    key_of[n] = it->second;
    ++readers[it->second];
  }
  std::vector<std::optional<Result<StoredResource>>> found(keys.size());
  // As many as a batch usually holds (as the trail's rows per statement, audit_trail.cc): with 64
  // concurrent reads, batches of more than 32 were common, and on PostgreSQL a second statement
  // is a round trip more.
  constexpr std::size_t kKeysPerStatement = 64;
  for (std::size_t start = 0; start < keys.size(); start += kKeysPerStatement) {
    const std::size_t count = std::min(kKeysPerStatement, keys.size() - start);
    // The keys as a table joined to the resources: both planners look each one up by its index
    // (a row-value IN list made SQLite scan every version).
    std::string sql = "WITH k(t, i) AS (VALUES ";
    storage::Params params;
    params.reserve(2 * count);
    for (std::size_t n = 0; n < count; ++n) {
      sql += n == 0 ? "($" : ", ($";
      sql += std::to_string(2 * n + 1) + ", $" + std::to_string(2 * n + 2) + ")";
      params.emplace_back(keys[start + n]->type);
      params.emplace_back(keys[start + n]->id);
    }
    sql += ") SELECT ";
    sql += kResourceColumns;
    sql +=
        " FROM k JOIN resources r ON r.resource_type = k.t AND r.id = k.i "
        "JOIN resource_versions v ON v.rid = r.rid AND v.version = r.version";
    CUSTOS_RETURN_IF_ERROR(tx.Query(sql, params, [&](const storage::Row& row) {
      const auto it = key_index.find(row.String(0) + "/" + row.String(1));
      if (it != key_index.end()) found[it->second] = FromRow(row);
      return true;
    }));
  }

  for (std::size_t n = 0; n < reads.size(); ++n) {
    BatchedRead* read = reads[n].get();
    auto& stored = found[key_of[n]];
    if (!stored) {
      read->result = Status::NotFound("no " + read->type + "/" + read->id);
      continue;
    }
    // A copy for each reader but the last, which takes it (or the error of a damaged resource,
    // which gives nothing out).
    read->result = --readers[key_of[n]] == 0 ? std::move(*stored) : *stored;
    if (!read->result.ok()) continue;
    events.push_back(EventFor(read->context, "resource.read", *read->result));
    if (read->result->deleted)
      read->result =
          Status::NotFound(read->type + "/" + read->id + " was deleted").WithReason("deleted");
  }
  return Status::Ok();
}

void ResourceStore::ReadAsync(const RequestContext& context, std::string type, std::string id,
                              std::function<void(Result<StoredResource>)> done) {
  if (Status allowed = auth::Require(context, auth::Permission::kClinicalRead); !allowed.ok()) {
    done(allowed);
    return;
  }
  if (!ReadsInBatches()) {
    done(Read(context, type, id));
    return;
  }
  auto read = std::make_shared<BatchedRead>(BatchedRead{context, std::move(type), std::move(id)});
  read->context.deferred_reads = nullptr;  // its event goes into the batch's transaction
  read_batcher_->SubmitWork(
      // Only noted here: the batch step reads every noted resource at once.
      [noted = noted_reads_, read](storage::Transaction& tx,
                                   std::vector<audit::AuditEvent>&) -> Status {
        if (noted->transaction != tx.serial()) {
          noted->reads.clear();
          noted->transaction = tx.serial();
        }
        noted->reads.push_back(read);
        return Status::Ok();
      },
      [read, done = std::move(done)](Status committed) {
        if (!committed.ok()) {
          done(Status::Unavailable("the audit trail could not record this read; try again"));
          return;
        }
        done(std::move(read->result));
      });
}

Status ResourceStore::RunAuditedRead(const RequestContext& context, const AuditedRead& read) {
  if (!AuditedReadsInBatches()) {
    std::vector<audit::AuditEvent> events;
    {
      CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
      CUSTOS_RETURN_IF_ERROR(read(*tx, events));
    }
    return audit::RecordRead(database_, audit_, context, std::move(events));
  }
  Status read_status = Status::Internal("not read");
  std::promise<Status> committed;
  read_batcher_->SubmitWork(
      [&read, &read_status](storage::Transaction& tx,
                            std::vector<audit::AuditEvent>& events) -> Status {
        // Events are added only by a read that succeeds; a failed one keeps its error to
        // itself unless a statement failed, which spoils the batch's transaction.
        std::vector<audit::AuditEvent> mine;
        read_status = read(tx, mine);
        if (read_status.ok()) {
          for (auto& event : mine) events.push_back(std::move(event));
          return Status::Ok();
        }
        const StatusCode code = read_status.code();
        return code == StatusCode::kInternal || code == StatusCode::kUnavailable ? read_status
                                                                                 : Status::Ok();
      },
      [&committed](Status status) { committed.set_value(std::move(status)); });
  const Status status = committed.get_future().get();
  if (!read_status.ok()) return read_status;
  if (!status.ok())
    return Status::Unavailable("the audit trail could not record this read; try again");
  return Status::Ok();
}

Result<StoredResource> ResourceStore::ReadVersion(const RequestContext& context,
                                                  const std::string& type, const std::string& id,
                                                  std::int64_t version) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalRead));
  std::optional<StoredResource> found;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kSingleQuery));
    CUSTOS_ASSIGN_OR_RETURN(
        auto row, tx->QueryOne("SELECT " + std::string(kResourceColumns) +
                                   " FROM resources r JOIN resource_versions v ON v.rid = r.rid "
                                   "WHERE r.resource_type = $1 AND r.id = $2 AND v.version = $3",
                               {type, id, version}));
    if (!row)
      return Status::NotFound("no version " + std::to_string(version) + " of " + type + "/" + id);
    CUSTOS_ASSIGN_OR_RETURN(found, FromRow(*row));
  }
  CUSTOS_RETURN_IF_ERROR(AuditRead(context, *found, "resource.vread"));
  if (found->deleted)
    return Status::NotFound("version " + std::to_string(version) + " is a deletion")
        .WithReason("deleted");
  return *found;
}

Result<std::vector<StoredResource>> ResourceStore::History(const RequestContext& context,
                                                           const std::string& type,
                                                           const std::string& id) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalRead));
  std::vector<StoredResource> versions;
  Status failure;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_RETURN_IF_ERROR(
        tx->Query("SELECT " + std::string(kResourceColumns) +
                      " FROM resources r JOIN resource_versions v ON v.rid = r.rid "
                      "WHERE r.resource_type = $1 AND r.id = $2 ORDER BY v.version DESC",
                  {type, id}, [&](const storage::Row& row) {
                    auto version = FromRow(row);
                    if (!version.ok()) {
                      failure = version.status();
                      return false;
                    }
                    versions.push_back(std::move(version).value());
                    return true;
                  }));
  }
  CUSTOS_RETURN_IF_ERROR(failure);
  if (versions.empty()) return Status::NotFound("no " + type + "/" + id);
  CUSTOS_RETURN_IF_ERROR(AuditRead(context, versions.front(), "resource.history"));
  return versions;
}

Result<PatientRecord> ResourceStore::OpenPatientRecord(const RequestContext& context,
                                                       const std::string& patient_id,
                                                       const PatientRecordOptions& options) {
  return PatientRecord::Open(database_, audit_, context, patient_id, options);
}

Result<std::vector<StoredResource>> ResourceStore::TypeHistory(const RequestContext& context,
                                                               const std::string& type, int count,
                                                               int offset) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalRead));
  std::vector<StoredResource> versions;
  Status failure;
  {
    CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
    CUSTOS_RETURN_IF_ERROR(
        tx->Query("SELECT " + std::string(kResourceColumns) +
                      " FROM resource_versions v JOIN resources r ON r.rid = v.rid WHERE "
                      "r.resource_type = $1 ORDER BY v.last_updated DESC, v.rid DESC, "
                      "v.version DESC LIMIT $2 OFFSET $3",
                  {type, std::int64_t{count}, std::int64_t{offset}}, [&](const storage::Row& row) {
                    auto version = FromRow(row);
                    if (!version.ok()) {
                      failure = version.status();
                      return false;
                    }
                    versions.push_back(std::move(version).value());
                    return true;
                  }));
  }
  CUSTOS_RETURN_IF_ERROR(failure);
  // One audit event per patient whose data is in the answer.
  std::set<std::string> patients;
  for (const auto& version : versions) {
    if (version.patient_id) patients.insert(*version.patient_id);
  }
  std::vector<audit::AuditEvent> events;
  for (const auto& patient : patients) {
    events.push_back(audit::AuditEvent::For(context, "resource.history", type, "")
                         .WithPatient(patient)
                         .WithDetails({{"versions", versions.size()}}));
  }
  if (patients.empty())
    events.push_back(audit::AuditEvent::For(context, "resource.history", type, ""));
  CUSTOS_RETURN_IF_ERROR(audit::RecordRead(database_, audit_, context, std::move(events)));
  return versions;
}

}  // namespace custos::clinical
