#include "custos/clinical/importer.h"

#include <zlib.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include <pthread.h>

#include "custos/auth/permissions.h"
#include "custos/clinical/bundles.h"

namespace custos::clinical {

namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
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
  while ((read = gzread(file, buffer, sizeof buffer)) > 0)
    out.append(buffer, static_cast<size_t>(read));
  const bool failed = read < 0;
  gzclose(file);
  if (failed) return Status::InvalidArgument(path + " is not a readable gzip file", "file");
  return out;
}

Importer::Importer(storage::Database& database, ResourceStore& store, audit::AuditSink& audit)
    : database_(database), store_(store), audit_(audit) {}

Result<std::optional<std::string>> Importer::FindByIdentifier(storage::Transaction& tx,
                                                              const std::string& type,
                                                              const Json& resource) {
  const auto identifiers = resource.find("identifier");
  if (identifiers == resource.end() || !identifiers->is_array())
    return std::optional<std::string>();
  for (const auto& identifier : *identifiers) {
    const std::string system = identifier.value("system", "");
    const std::string value = identifier.value("value", "");
    if (value.empty()) continue;
    CUSTOS_ASSIGN_OR_RETURN(
        auto row, tx.QueryOne("SELECT r.id FROM search_token t JOIN resources r ON r.rid = "
                              "t.rid WHERE t.param = $1 AND t.code = $2 AND t.system = $3 AND "
                              "r.deleted = 0 LIMIT 1",
                              {std::int64_t{ParamId(type, "identifier")}, value, system}));
    if (row) return std::optional<std::string>(row->String(0));
  }
  return std::optional<std::string>();
}

struct Importer::PreparedBundle {
  std::string id;
  std::string type;
  std::vector<PreparedResource> resources;  // to store
  std::vector<size_t> new_shared;  // indexes of deduplicated-type resources found nowhere yet
  std::int64_t duplicates = 0;     // conditional creates that found an existing resource
};

namespace {

std::vector<std::string> IdentifierKeys(const std::string& type, const Json& resource) {
  std::vector<std::string> keys;
  const auto identifiers = resource.find("identifier");
  if (identifiers == resource.end() || !identifiers->is_array()) return keys;
  for (const auto& identifier : *identifiers) {
    if (!identifier.is_object()) continue;
    const std::string value = identifier.value("value", "");
    if (!value.empty()) keys.push_back(type + "|" + identifier.value("system", "") + "|" + value);
  }
  return keys;
}

}  // namespace

Result<Importer::PreparedBundle> Importer::PrepareBundle(Json bundle,
                                                         KnownIdentifiers& known) const {
  if (!bundle.is_object() || bundle.value("resourceType", "") != "Bundle") {
    return Status::InvalidArgument("not a Bundle", "resourceType");
  }
  PreparedBundle prepared;
  prepared.id = bundle.value("id", "");
  prepared.type = bundle.value("type", "");
  Json& entries = bundle["entry"];
  if (!entries.is_array()) return prepared;
  // `urn:uuid:` fullUrls become ids (a UUID is a valid FHIR id) so that references resolve
  // before anything is stored.
  std::vector<std::string> ids(entries.size());
  std::map<std::string, std::string> references;  // as written → "Type/id" to store
  for (size_t i = 0; i < entries.size(); ++i) {
    Json& entry = entries[i];
    if (!entry.is_object() || !entry["resource"].is_object()) {
      return Status::InvalidArgument("entry " + std::to_string(i) + " has no resource", "entry");
    }
    const std::string full_url = entry.value("fullUrl", "");
    if (full_url.starts_with("urn:uuid:"))
      ids[i] = full_url.substr(9);
    else
      ids[i] = entry["resource"].value("id", "");
    if (!full_url.empty() && !ids[i].empty()) {
      references[full_url] = entry["resource"].value("resourceType", "") + "/" + ids[i];
    }
  }
  // Conditional creates: an organisation, practitioner or location whose identifier is already
  // on file, or earlier in this import, is not stored again; references go to the one there is.
  std::vector<bool> skip(entries.size(), false);
  std::unique_ptr<storage::Transaction> lookup;
  std::vector<bool> is_new_shared(entries.size(), false);
  for (size_t i = 0; i < entries.size(); ++i) {
    const Json& resource = entries[i]["resource"];
    const std::string type = resource.value("resourceType", "");
    if (!IsDeduplicatedType(type) || ids[i].empty()) continue;
    const std::vector<std::string> keys = IdentifierKeys(type, resource);
    if (keys.empty()) continue;
    std::optional<std::string> existing;
    for (const auto& key : keys) {
      if (auto it = known.find(key); it != known.end()) {
        existing = it->second;
        break;
      }
    }
    if (!existing) {
      if (!lookup) {
        CUSTOS_ASSIGN_OR_RETURN(lookup, database_.Begin(storage::TransactionMode::kReadOnly));
      }
      CUSTOS_ASSIGN_OR_RETURN(std::optional<std::string> found,
                              FindByIdentifier(*lookup, type, resource));
      if (found) existing = type + "/" + *found;
    }
    const std::string own = type + "/" + ids[i];
    if (existing) {
      skip[i] = true;
      ++prepared.duplicates;
      if (*existing != own) {
        references[own] = *existing;
        const std::string full_url = entries[i].value("fullUrl", "");
        if (!full_url.empty()) references[full_url] = *existing;
      }
    } else {
      is_new_shared[i] = true;
    }
    for (const auto& key : keys) known.emplace(key, existing ? *existing : own);
  }
  lookup.reset();
  prepared.resources.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (skip[i]) continue;
    Json resource = std::move(entries[i]["resource"]);
    RewriteReferences(resource, references);
    const std::string type = resource.value("resourceType", "");
    WriteOutcome outcome;
    auto ready = store_.Prepare(std::move(resource), ids[i], "", &outcome);
    if (!ready.ok()) {
      return Status::InvalidArgument(
          "entry " + std::to_string(i) + " (" + type + "): " + ready.status().message(),
          ready.status().field());
    }
    if (is_new_shared[i]) prepared.new_shared.push_back(prepared.resources.size());
    prepared.resources.push_back(std::move(ready).value());
  }
  return prepared;
}

Status Importer::WriteBundle(const RequestContext& context, PreparedBundle& bundle,
                             ImportStats& stats) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  stats.duplicates += bundle.duplicates;
  // The preparer decided which shared resources are new; another writer may have created one
  // since. Then those are dropped too and the references to them redone (rare, and slow).
  std::map<std::string, std::string> moved;  // "Type/prepared-id" → "Type/existing-id"
  std::vector<bool> skip(bundle.resources.size(), false);
  for (size_t i : bundle.new_shared) {
    PreparedResource& resource = bundle.resources[i];
    CUSTOS_ASSIGN_OR_RETURN(std::optional<std::string> existing,
                            FindByIdentifier(*tx, resource.resource_type, resource.resource));
    if (!existing) continue;
    skip[i] = true;
    ++stats.duplicates;
    if (*existing != resource.id) {
      moved[resource.resource_type + "/" + resource.id] = resource.resource_type + "/" + *existing;
    }
  }
  if (!moved.empty()) {
    for (size_t i = 0; i < bundle.resources.size(); ++i) {
      if (skip[i]) continue;
      PreparedResource& resource = bundle.resources[i];
      Json json = std::move(resource.resource);
      RewriteReferences(json, moved);
      CUSTOS_ASSIGN_OR_RETURN(resource, store_.Prepare(std::move(json), resource.id, "", nullptr));
    }
  }
  if (std::find(skip.begin(), skip.end(), true) != skip.end()) {
    std::vector<PreparedResource> kept;
    for (size_t i = 0; i < bundle.resources.size(); ++i) {
      if (!skip[i]) kept.push_back(std::move(bundle.resources[i]));
    }
    bundle.resources = std::move(kept);
  }
  CUSTOS_RETURN_IF_ERROR(store_.WritePreparedBatch(*tx, context, bundle.resources));
  std::map<std::string, int> counts;
  std::optional<std::string> patient;
  for (const auto& resource : bundle.resources) {
    ++counts[resource.resource_type];
    if (!patient && resource.patient_id) patient = resource.patient_id;
    ++stats.resources;
  }
  audit::AuditEvent event = audit::AuditEvent::For(context, "resource.import", "Bundle", bundle.id);
  if (patient) event.WithPatient(*patient);
  CUSTOS_RETURN_IF_ERROR(
      audit_.Record(*tx, event.WithDetails({{"bundle_type", bundle.type}, {"resources", counts}})));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  ++stats.bundles;
  return Status::Ok();
}

Status Importer::ImportBundle(const RequestContext& context, Json bundle, ImportStats& stats) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  KnownIdentifiers known;
  CUSTOS_ASSIGN_OR_RETURN(PreparedBundle prepared, PrepareBundle(std::move(bundle), known));
  return WriteBundle(context, prepared, stats);
}

namespace {

// Splits a file's contents into Bundles: the file itself, a resource wrapped in a batch, or
// NDJSON lines in batches of 1000.
Status ForEachBundle(const std::string& path, const std::string& text,
                     const std::function<Status(Json)>& visit) {
  const bool ndjson = EndsWith(path, ".ndjson") || EndsWith(path, ".ndjson.gz");
  if (!ndjson) {
    Json value = Json::parse(text, nullptr, false);
    if (value.is_discarded()) return Status::InvalidArgument("not valid JSON", "file");
    if (value.value("resourceType", "") == "Bundle") return visit(std::move(value));
    return visit(Json{{"resourceType", "Bundle"},
                      {"type", "batch"},
                      {"entry", Json::array({{{"resource", value}}})}});
  }
  Json bundle = {{"resourceType", "Bundle"}, {"type", "batch"}, {"entry", Json::array()}};
  size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    Json resource = Json::parse(line, nullptr, false);
    if (resource.is_discarded()) {
      return Status::InvalidArgument("line " + std::to_string(line_number) + " is not valid JSON",
                                     "file");
    }
    bundle["entry"].push_back({{"resource", std::move(resource)}});
    if (bundle["entry"].size() == 1000) {
      CUSTOS_RETURN_IF_ERROR(visit(std::move(bundle)));
      bundle = {{"resourceType", "Bundle"}, {"type", "batch"}, {"entry", Json::array()}};
    }
  }
  if (!bundle["entry"].empty()) return visit(std::move(bundle));
  return Status::Ok();
}

}  // namespace

Status Importer::ImportFiles(const RequestContext& context, const std::vector<std::string>& paths,
                             ImportStats& stats,
                             const std::function<void(size_t, const ImportStats&)>& progress) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  // A bounded hand-over from the preparing thread to this (writing) one.
  struct Item {
    std::optional<PreparedBundle> bundle;  // empty: the file at `file` is done
    size_t file = 0;
    std::int64_t bytes = 0;
    Status error;
  };
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Item> queue;
  // Written bundles go back to the preparing thread to be freed: freeing a bundle's thousands of
  // small allocations took a quarter of the writing thread's time.
  std::vector<PreparedBundle> written;
  bool stop = false;
  constexpr size_t kQueueLimit = 8;
  auto push = [&](Item item) {
    std::vector<PreparedBundle> to_free;
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return queue.size() < kQueueLimit || stop; });
    if (stop) return false;
    queue.push_back(std::move(item));
    to_free.swap(written);
    changed.notify_all();
    lock.unlock();
    return true;  // `to_free` is freed here, on this thread
  };
  std::thread preparer([&] {
    pthread_setname_np(pthread_self(), "import-prepare");
    KnownIdentifiers known;
    for (size_t file = 0; file < paths.size(); ++file) {
      Item done;
      done.file = file;
      auto text = ReadMaybeGzipped(paths[file]);
      if (!text.ok()) {
        done.error = text.status();
        push(std::move(done));
        return;
      }
      done.bytes = static_cast<std::int64_t>(text->size());
      Status status = ForEachBundle(paths[file], *text, [&](Json bundle) -> Status {
        auto prepared = PrepareBundle(std::move(bundle), known);
        if (!prepared.ok()) return prepared.status();
        Item item;
        item.bundle = std::move(prepared).value();
        item.file = file;
        return push(std::move(item)) ? Status::Ok() : Status::Unavailable("stopped");
      });
      done.error = status;
      if (!push(std::move(done)) || !status.ok()) return;
    }
  });
  Status result;
  for (size_t files_done = 0; files_done < paths.size();) {
    Item item;
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return !queue.empty(); });
      item = std::move(queue.front());
      queue.pop_front();
      changed.notify_all();
    }
    if (item.bundle) {
      result = WriteBundle(context, *item.bundle, stats);
      std::lock_guard lock(mutex);
      written.push_back(std::move(*item.bundle));
    } else {
      result = item.error;
      if (result.ok()) {
        ++stats.files;
        stats.bytes += item.bytes;
        ++files_done;
        if (progress) progress(files_done, stats);
      }
    }
    if (!result.ok()) {
      result = Status::InvalidArgument(paths[item.file] + ": " + result.message(), result.field());
      break;
    }
  }
  {
    std::lock_guard lock(mutex);
    stop = true;
    changed.notify_all();
  }
  preparer.join();
  // New rows change which index is selective; without fresh statistics SQLite may scan.
  if (result.ok() && stats.resources > 0) result = database_.RefreshStatistics();
  return result;
}

}  // namespace custos::clinical
