#include "custos/clinical/importer.h"

#include <zlib.h>

#include <fstream>
#include <sstream>

#include "custos/auth/permissions.h"

namespace custos::clinical {

namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Rewrites every {"reference": "urn:uuid:X"} below `node` to the mapped "Type/id".
void RewriteReferences(Json& node, const std::map<std::string, std::string>& ids) {
  if (node.is_object()) {
    auto reference = node.find("reference");
    if (reference != node.end() && reference->is_string()) {
      const auto mapped = ids.find(reference->get_ref<const std::string&>());
      if (mapped != ids.end()) *reference = mapped->second;
    }
    for (auto& [key, value] : node.items()) {
      if (value.is_structured()) RewriteReferences(value, ids);
    }
  } else if (node.is_array()) {
    for (auto& item : node) RewriteReferences(item, ids);
  }
}

bool IsDeduplicatedType(std::string_view type) {
  return type == "Organization" || type == "Practitioner" || type == "Location";
}

}  // namespace

Result<std::string> ReadMaybeGzipped(const std::string& path) {
  if (!EndsWith(path, ".gz")) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::NotFound("cannot read " + path);
    std::ostringstream contents;
    contents << in.rdbuf();
    return contents.str();
  }
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) return Status::NotFound("cannot read " + path);
  gzbuffer(file, 1 << 17);
  std::string out;
  char buffer[1 << 16];
  int read = 0;
  while ((read = gzread(file, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(read));
  const bool failed = read < 0;
  gzclose(file);
  if (failed) return Status::InvalidArgument(path + " is not a readable gzip file", "file");
  return out;
}

Importer::Importer(storage::Database& database, ResourceStore& store, audit::AuditSink& audit)
    : database_(database), store_(store), audit_(audit) {}

Result<std::optional<std::string>> Importer::FindByIdentifier(storage::Transaction& tx, const std::string& type,
                                                              const Json& resource) {
  const auto identifiers = resource.find("identifier");
  if (identifiers == resource.end() || !identifiers->is_array()) return std::optional<std::string>();
  for (const auto& identifier : *identifiers) {
    const std::string system = identifier.value("system", "");
    const std::string value = identifier.value("value", "");
    if (value.empty()) continue;
    CUSTOS_ASSIGN_OR_RETURN(auto row, tx.QueryOne("SELECT r.id FROM search_token t JOIN resources r ON r.rid = "
                                                  "t.rid WHERE t.resource_type = $1 AND t.param = 'identifier' "
                                                  "AND t.code = $2 AND t.system = $3 AND r.deleted = 0 LIMIT 1",
                                                  {type, value, system}));
    if (row) return std::optional<std::string>(row->String(0));
  }
  return std::optional<std::string>();
}

Status Importer::ImportBundle(const RequestContext& context, Json bundle, ImportStats& stats) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  if (!bundle.is_object() || bundle.value("resourceType", "") != "Bundle") {
    return Status::InvalidArgument("not a Bundle", "resourceType");
  }
  Json& entries = bundle["entry"];
  if (!entries.is_array()) return Status::Ok();
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());

  // First pass: the id each entry will have, so that references can be rewritten before storing.
  std::map<std::string, std::string> ids;       // fullUrl → "Type/id"
  std::vector<std::string> entry_ids(entries.size());
  std::vector<bool> skip(entries.size(), false);
  for (size_t i = 0; i < entries.size(); ++i) {
    Json& entry = entries[i];
    const Json& resource = entry["resource"];
    if (!resource.is_object()) {
      return Status::InvalidArgument("entry " + std::to_string(i) + " has no resource", "entry");
    }
    const std::string type = resource.value("resourceType", "");
    const std::string full_url = entry.value("fullUrl", "");
    std::string id;
    if (full_url.starts_with("urn:uuid:")) id = full_url.substr(9);
    if (IsDeduplicatedType(type)) {
      CUSTOS_ASSIGN_OR_RETURN(std::optional<std::string> existing, FindByIdentifier(*tx, type, resource));
      if (existing) {
        id = *existing;
        skip[i] = true;
        ++stats.duplicates;
      }
    }
    entry_ids[i] = id;
    if (!full_url.empty() && !id.empty()) ids[full_url] = type + "/" + id;
  }

  std::map<std::string, int> counts;
  std::optional<std::string> patient;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (skip[i]) continue;
    Json resource = std::move(entries[i]["resource"]);
    RewriteReferences(resource, ids);
    const std::string type = resource.value("resourceType", "");
    WriteOutcome outcome;
    auto stored = entry_ids[i].empty() ? store_.CreateIn(*tx, context, std::move(resource), &outcome)
                                       : store_.UpdateIn(*tx, context, type, entry_ids[i], std::move(resource),
                                                         std::nullopt, &outcome);
    if (!stored.ok()) {
      const Status& status = stored.status();
      return Status::InvalidArgument("entry " + std::to_string(i) + " (" + type + "): " + status.message(),
                                     status.field());
    }
    ++counts[type];
    if (!patient && stored->patient_id) patient = stored->patient_id;
    ++stats.resources;
  }
  Json details = {{"bundle_type", bundle.value("type", "")}, {"resources", counts}};
  audit::AuditEvent event = audit::AuditEvent::For(context, "resource.import", "Bundle", bundle.value("id", ""));
  if (patient) event.WithPatient(*patient);
  CUSTOS_RETURN_IF_ERROR(audit_.Record(*tx, event.WithDetails(details)));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  ++stats.bundles;
  return Status::Ok();
}

Status Importer::ImportFile(const RequestContext& context, const std::string& path, ImportStats& stats) {
  CUSTOS_ASSIGN_OR_RETURN(std::string text, ReadMaybeGzipped(path));
  stats.bytes += static_cast<std::int64_t>(text.size());
  ++stats.files;
  const bool ndjson = EndsWith(path, ".ndjson") || EndsWith(path, ".ndjson.gz");
  if (!ndjson) {
    Json value = Json::parse(text, nullptr, false);
    if (value.is_discarded()) return Status::InvalidArgument(path + " is not valid JSON", "file");
    if (value.value("resourceType", "") == "Bundle") return ImportBundle(context, std::move(value), stats);
    Json bundle = {{"resourceType", "Bundle"}, {"type", "batch"}, {"entry", Json::array({{{"resource", value}}})}};
    return ImportBundle(context, std::move(bundle), stats);
  }
  // NDJSON: one resource per line, imported in bundles of 1000 lines.
  Json bundle = {{"resourceType", "Bundle"}, {"type", "batch"}, {"entry", Json::array()}};
  std::istringstream lines(text);
  std::string line;
  int line_number = 0;
  while (std::getline(lines, line)) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json resource = Json::parse(line, nullptr, false);
    if (resource.is_discarded()) {
      return Status::InvalidArgument(path + " line " + std::to_string(line_number) + " is not valid JSON", "file");
    }
    bundle["entry"].push_back({{"resource", std::move(resource)}});
    if (bundle["entry"].size() == 1000) {
      CUSTOS_RETURN_IF_ERROR(ImportBundle(context, bundle, stats));
      bundle["entry"] = Json::array();
    }
  }
  if (!bundle["entry"].empty()) CUSTOS_RETURN_IF_ERROR(ImportBundle(context, bundle, stats));
  return Status::Ok();
}

}  // namespace custos::clinical
