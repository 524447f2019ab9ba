#include "custos/clinical/importer.h"

#include <libdeflate.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include <pthread.h>

#include "custos/auth/permissions.h"
#include "custos/clinical/bundles.h"
#include "custos/core/huge_pages.h"

namespace custos::clinical {

namespace {

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool IsDeduplicatedType(std::string_view type) {
  return type == "Organization" || type == "Practitioner" || type == "Location";
}

}  // namespace

// The importer holds each file whole, so it inflates whole buffers with libdeflate: 2–3 times
// zlib's speed, and its CRC-32 uses the processor's carry-less multiply (zlib's inflate and CRC
// were 6.7 % of an import's instructions). Readers that stream, such as the patient files of
// `custos mpi`, keep zlib.
Result<std::string> ReadMaybeGzipped(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Status::NotFound("cannot read " + path);
  std::string raw(static_cast<std::size_t>(in.tellg()), '\0');
  in.seekg(0);
  if (!in.read(raw.data(), static_cast<std::streamsize>(raw.size())))
    return Status::NotFound("cannot read " + path);
  auto is_gzip_member = [&](std::size_t at) {
    return raw.size() - at >= 2 && static_cast<unsigned char>(raw[at]) == 0x1f &&
           static_cast<unsigned char>(raw[at + 1]) == 0x8b;
  };
  // As zlib's gzread did: a .gz file that is not gzip is read as it is.
  if (!EndsWith(path, ".gz") || !is_gzip_member(0)) return raw;

  std::unique_ptr<libdeflate_decompressor, decltype(&libdeflate_free_decompressor)> inflater(
      libdeflate_alloc_decompressor(), &libdeflate_free_decompressor);
  if (!inflater) return Status::ResourceExhausted("out of memory inflating " + path);
  // The trailer's last four bytes hold the inflated size of the last member (modulo 4 GiB):
  // for the usual file of one member, exactly the room it needs.
  std::size_t room = 0;
  for (std::size_t i = 0; i < 4 && raw.size() >= 4; ++i)
    room |= std::size_t{static_cast<unsigned char>(raw[raw.size() - 4 + i])} << (8 * i);
  std::string out(std::max(room, raw.size()), '\0');
  std::size_t read = 0, filled = 0;
  // Member after member (a concatenation of gzip files is one gzip file); what follows the last
  // is ignored, as zlib did.
  while (read < raw.size() && is_gzip_member(read)) {
    std::size_t used = 0, produced = 0;
    const libdeflate_result result =
        libdeflate_gzip_decompress_ex(inflater.get(), raw.data() + read, raw.size() - read,
                                      out.data() + filled, out.size() - filled, &used, &produced);
    if (result == LIBDEFLATE_INSUFFICIENT_SPACE) {
      out.resize(out.size() * 2);  // this member again, with more room
      continue;
    }
    if (result != LIBDEFLATE_SUCCESS)
      return Status::InvalidArgument(path + " is not a readable gzip file", "file");
    read += used;
    filled += produced;
  }
  out.resize(filled);
  return out;
}

Importer::Importer(storage::Database& database, ResourceStore& store, audit::AuditSink& audit)
    : database_(database), store_(store), audit_(audit) {}

Result<std::optional<std::string>> Importer::FindByIdentifier(
    storage::Transaction& tx, const std::string& type, const std::vector<Identifier>& identifiers) {
  for (const Identifier& identifier : identifiers) {
    CUSTOS_ASSIGN_OR_RETURN(
        auto row, tx.QueryOne("SELECT r.id FROM search_token t JOIN resources r ON r.rid = "
                              "t.rid WHERE t.param = $1 AND t.code = $2 AND t.system = $3 AND "
                              "r.deleted = 0 LIMIT 1",
                              {std::int64_t{ParamId(type, "identifier")}, identifier.value,
                               identifier.system}));
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

// The identifiers of a resource, as written (those with a value).
std::vector<Importer::Identifier> IdentifiersOf(const JsonValue& resource) {
  std::vector<Importer::Identifier> identifiers;
  for (const JsonValue identifier : resource.find("identifier").children()) {
    const std::string_view value = identifier.find("value").string();
    if (!value.empty()) {
      identifiers.push_back({std::string(identifier.find("system").string()), std::string(value)});
    }
  }
  return identifiers;
}

// The same, from a prepared resource's index entries.
std::vector<Importer::Identifier> IdentifiersOf(const PreparedResource& resource) {
  std::vector<Importer::Identifier> identifiers;
  for (const TokenEntry& token : resource.entries.tokens) {
    if (token.param == "identifier") identifiers.push_back({token.system, token.code});
  }
  return identifiers;
}

std::vector<std::string> IdentifierKeys(const std::string& type,
                                        const std::vector<Importer::Identifier>& identifiers) {
  std::vector<std::string> keys;
  for (const auto& identifier : identifiers) {
    keys.push_back(type + "|" + identifier.system + "|" + identifier.value);
  }
  return keys;
}

}  // namespace

Result<Importer::PreparedBundle> Importer::PrepareBundle(const JsonValue& bundle,
                                                         KnownIdentifiers& known) const {
  if (!bundle.is_object() || bundle.find("resourceType").string() != "Bundle") {
    return Status::InvalidArgument("not a Bundle", "resourceType");
  }
  PreparedBundle prepared;
  prepared.id = std::string(bundle.find("id").string());
  prepared.type = std::string(bundle.find("type").string());
  const JsonValue entries = bundle.find("entry");
  if (!entries.is_array()) return prepared;
  // `urn:uuid:` fullUrls become ids (a UUID is a valid FHIR id) so that references resolve
  // before anything is stored.
  std::vector<JsonValue> resources;
  std::vector<std::string_view> full_urls;
  std::vector<std::string> ids;
  resources.reserve(entries.size());
  ids.reserve(entries.size());
  ReferenceMap references;  // as written → "Type/id" to store
  for (const JsonValue entry : entries.children()) {
    const JsonValue resource = entry.find("resource");
    if (!resource.is_object()) {
      return Status::InvalidArgument(
          "entry " + std::to_string(resources.size()) + " has no resource", "entry");
    }
    const std::string_view full_url = entry.find("fullUrl").string();
    std::string id = full_url.starts_with("urn:uuid:") ? std::string(full_url.substr(9))
                                                       : std::string(resource.find("id").string());
    if (!full_url.empty() && !id.empty()) {
      references[std::string(full_url)] =
          std::string(resource.find("resourceType").string()) + "/" + id;
    }
    resources.push_back(resource);
    full_urls.push_back(full_url);
    ids.push_back(std::move(id));
  }
  // Conditional creates: an organisation, practitioner or location whose identifier is already
  // on file, or earlier in this import, is not stored again; references go to the one there is.
  std::vector<bool> skip(resources.size(), false);
  std::unique_ptr<storage::Transaction> lookup;
  std::vector<bool> is_new_shared(resources.size(), false);
  for (size_t i = 0; i < resources.size(); ++i) {
    const std::string type(resources[i].find("resourceType").string());
    if (!IsDeduplicatedType(type) || ids[i].empty()) continue;
    const std::vector<Identifier> identifiers = IdentifiersOf(resources[i]);
    if (identifiers.empty()) continue;
    const std::vector<std::string> keys = IdentifierKeys(type, identifiers);
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
                              FindByIdentifier(*lookup, type, identifiers));
      if (found) existing = type + "/" + *found;
    }
    const std::string own = type + "/" + ids[i];
    if (existing) {
      skip[i] = true;
      ++prepared.duplicates;
      if (*existing != own) {
        references[own] = *existing;
        if (!full_urls[i].empty()) references[std::string(full_urls[i])] = *existing;
      }
    } else {
      is_new_shared[i] = true;
    }
    for (const auto& key : keys) known.emplace(key, existing ? *existing : own);
  }
  lookup.reset();
  prepared.resources.reserve(resources.size());
  for (size_t i = 0; i < resources.size(); ++i) {
    if (skip[i]) continue;
    WriteOutcome outcome;
    auto ready = store_.Prepare(resources[i], ids[i], "", &outcome, &references);
    if (!ready.ok()) {
      return Status::InvalidArgument("entry " + std::to_string(i) + " (" +
                                         std::string(resources[i].find("resourceType").string()) +
                                         "): " + ready.status().message(),
                                     ready.status().field());
    }
    if (is_new_shared[i]) prepared.new_shared.push_back(prepared.resources.size());
    prepared.resources.push_back(std::move(ready).value());
  }
  return prepared;
}

Status Importer::WriteBundle(const RequestContext& context, PreparedBundle& bundle,
                             ImportStats& stats) {
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  ImportStats written;
  CUSTOS_RETURN_IF_ERROR(WriteBundleIn(*tx, context, bundle, written));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  stats.Add(written);
  return Status::Ok();
}

Status Importer::WriteBundleIn(storage::Transaction& tx, const RequestContext& context,
                               PreparedBundle& bundle, ImportStats& stats) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  stats.duplicates += bundle.duplicates;
  // The preparer decided which shared resources are new; another writer may have created one
  // since. Then those are dropped too and the references to them redone (rare, and slow).
  ReferenceMap moved;  // "Type/prepared-id" → "Type/existing-id"
  std::vector<bool> skip(bundle.resources.size(), false);
  for (size_t i : bundle.new_shared) {
    PreparedResource& resource = bundle.resources[i];
    CUSTOS_ASSIGN_OR_RETURN(std::optional<std::string> existing,
                            FindByIdentifier(tx, resource.resource_type, IdentifiersOf(resource)));
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
      JsonDocument written;
      CUSTOS_RETURN_IF_ERROR(written.Parse(resource.json));
      CUSTOS_ASSIGN_OR_RETURN(resource,
                              store_.Prepare(written.root(), resource.id, "", nullptr, &moved));
    }
  }
  if (std::find(skip.begin(), skip.end(), true) != skip.end()) {
    // Dropped for good (should the transaction roll back and the bundle be written again, the
    // check above finds the others anew).
    std::vector<PreparedResource> kept;
    std::vector<size_t> new_shared;
    for (size_t i = 0; i < bundle.resources.size(); ++i) {
      if (skip[i]) continue;
      if (std::find(bundle.new_shared.begin(), bundle.new_shared.end(), i) !=
          bundle.new_shared.end()) {
        new_shared.push_back(kept.size());
      }
      kept.push_back(std::move(bundle.resources[i]));
    }
    bundle.resources = std::move(kept);
    bundle.new_shared = std::move(new_shared);
  }
  CUSTOS_RETURN_IF_ERROR(store_.WritePreparedBatch(tx, context, bundle.resources));
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
      audit_.Record(tx, event.WithDetails({{"bundle_type", bundle.type}, {"resources", counts}})));
  ++stats.bundles;
  return Status::Ok();
}

Status Importer::ImportBundle(const RequestContext& context, const Json& bundle,
                              ImportStats& stats) {
  CUSTOS_RETURN_IF_ERROR(auth::Require(context, auth::Permission::kClinicalWrite));
  KnownIdentifiers known;
  const std::string text = bundle.dump();
  JsonDocument document;
  CUSTOS_RETURN_IF_ERROR(document.Parse(text));
  CUSTOS_ASSIGN_OR_RETURN(PreparedBundle prepared, PrepareBundle(document.root(), known));
  return WriteBundle(context, prepared, stats);
}

namespace {

// Splits a file's contents into Bundles: the file itself, a resource wrapped in a batch, or
// NDJSON lines in batches of 1000. `visit` gets each Bundle parsed in `document`.
Status ForEachBundle(const std::string& path, const std::string& text, JsonDocument& document,
                     const std::function<Status(const JsonValue&)>& visit) {
  const bool ndjson = EndsWith(path, ".ndjson") || EndsWith(path, ".ndjson.gz");
  if (!ndjson) {
    if (!document.Parse(text).ok()) return Status::InvalidArgument("not valid JSON", "file");
    if (document.root().find("resourceType").string() == "Bundle") return visit(document.root());
    const std::string wrapped =
        R"({"resourceType":"Bundle","type":"batch","entry":[{"resource":)" + text + "}]}";
    CUSTOS_RETURN_IF_ERROR(document.Parse(wrapped));
    return visit(document.root());
  }
  // Lines are checked one by one (to name a bad one), then written into one batch Bundle.
  static constexpr std::string_view kOpen = R"({"resourceType":"Bundle","type":"batch","entry":[)";
  std::string bundle(kOpen);
  size_t in_bundle = 0;
  auto flush = [&]() -> Status {
    bundle += "]}";
    CUSTOS_RETURN_IF_ERROR(document.Parse(bundle));
    CUSTOS_RETURN_IF_ERROR(visit(document.root()));
    bundle.assign(kOpen);
    in_bundle = 0;
    return Status::Ok();
  };
  JsonDocument line_document;
  size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (!line_document.Parse(line).ok()) {
      return Status::InvalidArgument("line " + std::to_string(line_number) + " is not valid JSON",
                                     "file");
    }
    if (in_bundle > 0) bundle += ',';
    bundle += R"({"resource":)";
    bundle += line;
    bundle += '}';
    if (++in_bundle == 1000) CUSTOS_RETURN_IF_ERROR(flush());
  }
  if (in_bundle > 0) return flush();
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
  // Both threads allocate from huge pages (core/huge_pages.h): a sixth of the import's CPU went
  // to page faults and TLB misses on fresh memory.
  HugePageScope huge_pages;
  database_.BeginBulkLoad();
  std::thread preparer([&] {
    pthread_setname_np(pthread_self(), "import-prepare");
    HugePageScope preparer_huge_pages;
    KnownIdentifiers known;
    JsonDocument document;
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
      Status status = ForEachBundle(paths[file], *text, document, [&](const JsonValue& bundle) {
        auto prepared = PrepareBundle(bundle, known);
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
  // Bundles are written several to a transaction: each commit writes every page it touched, and
  // the search index's pages are touched again by the next bundle, so small commits wrote the
  // same pages many times over. Each bundle is written into the open transaction as it arrives;
  // the transaction commits at kGroupResources and at the end. (It used to commit also whenever
  // nothing more was ready, to use the wait; once the writer was faster than the preparer that
  // made small commits, and on the set loaded ten times over, whose index no longer fits in the
  // page cache, the import took 40 % longer.) Files count as done once their bundles are
  // committed.
  constexpr size_t kGroupResources = 12000;
  Status result;
  size_t files_done = 0;
  std::unique_ptr<storage::Transaction> open;  // holds the group's bundles, not yet committed
  ImportStats pending;                         // what the open transaction holds
  Status group_failure;                        // a bundle of the group failed to write
  std::vector<PreparedBundle> group;
  std::vector<size_t> group_files;   // the file of each bundle in the group
  std::vector<Item> finished_files;  // file markers behind the group's bundles
  size_t group_resources = 0;
  auto add_to_group = [&](PreparedBundle bundle, size_t file) {
    if (group_failure.ok()) {
      group_failure = [&]() -> Status {
        if (!open) {
          CUSTOS_ASSIGN_OR_RETURN(open, database_.Begin());
        }
        return WriteBundleIn(*open, context, bundle, pending);
      }();
    }
    group_resources += bundle.resources.size();
    group_files.push_back(file);
    group.push_back(std::move(bundle));
  };
  auto commit_group = [&]() -> Status {
    if (group.empty() && finished_files.empty()) return Status::Ok();
    Status status;
    size_t failed_file = paths.size();
    if (!group.empty()) {
      status = group_failure.ok() && open ? open->Commit() : group_failure;
      open.reset();
      if (status.ok()) {
        stats.Add(pending);
      } else {
        // Nothing of the group stayed. Write its bundles one by one, so that those before the
        // failing one are kept, as when every bundle had its own transaction.
        for (size_t i = 0; i < group.size(); ++i) {
          status = WriteBundle(context, group[i], stats);
          if (!status.ok()) {
            failed_file = group_files[i];
            status = Status::InvalidArgument(paths[group_files[i]] + ": " + status.message(),
                                             status.field());
            break;
          }
        }
      }
      std::lock_guard lock(mutex);
      for (auto& bundle : group) written.push_back(std::move(bundle));
    }
    pending = ImportStats();
    group_failure = Status::Ok();
    group.clear();
    group_files.clear();
    group_resources = 0;
    // Files finish in order; those before a failed bundle's file were written whole.
    for (const Item& file : finished_files) {
      if (file.file < failed_file) {
        ++stats.files;
        stats.bytes += file.bytes;
        ++files_done;
        if (progress) progress(files_done, stats);
      }
    }
    finished_files.clear();
    return status;
  };
  while (files_done + finished_files.size() < paths.size()) {
    Item item;
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return !queue.empty(); });
      item = std::move(queue.front());
      queue.pop_front();
      changed.notify_all();
    }
    if (item.bundle) {
      add_to_group(std::move(*item.bundle), item.file);
      if (group_resources >= kGroupResources || !group_failure.ok()) result = commit_group();
    } else if (item.error.ok()) {
      finished_files.push_back(std::move(item));
    } else {
      result = commit_group();
      if (result.ok()) {
        result = Status::InvalidArgument(paths[item.file] + ": " + item.error.message(),
                                         item.error.field());
      }
    }
    if (!result.ok()) break;
  }
  if (result.ok()) result = commit_group();
  {
    std::lock_guard lock(mutex);
    stop = true;
    changed.notify_all();
  }
  preparer.join();
  database_.EndBulkLoad();
  // New rows change which index is selective; without fresh statistics SQLite may scan.
  if (result.ok() && stats.resources > 0) result = database_.RefreshStatistics();
  return result;
}

}  // namespace custos::clinical
