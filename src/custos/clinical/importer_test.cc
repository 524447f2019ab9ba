#include "custos/clinical/importer.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

#include "testing/clinical_store.h"
#include "testing/status_matchers.h"

namespace custos::clinical {
namespace {

Json Organization(const std::string& full_url, const std::string& npi) {
  return {{"fullUrl", full_url},
          {"resource",
           {{"resourceType", "Organization"},
            {"name", "General Hospital"},
            {"identifier", Json::array({{{"system", "http://example.org/org"}, {"value", npi}}})}}},
          {"request", {{"method", "POST"}, {"url", "Organization"}}}};
}

// A patient bundle as Synthea writes them: urn:uuid fullUrls, an Organization repeated in every
// bundle under a fresh uuid, and references between the entries.
Json PatientBundle(const std::string& patient_uuid, const std::string& organization_uuid,
                   const std::string& family) {
  const std::string patient = "urn:uuid:" + patient_uuid;
  const std::string organization = "urn:uuid:" + organization_uuid;
  return {
      {"resourceType", "Bundle"},
      {"type", "transaction"},
      {"entry",
       Json::array(
           {{{"fullUrl", patient},
             {"resource",
              {{"resourceType", "Patient"},
               {"name", Json::array({{{"family", family}}})},
               {"managingOrganization", {{"reference", organization}}}}},
             {"request", {{"method", "POST"}, {"url", "Patient"}}}},
            Organization(organization, "org-1"),
            {{"fullUrl", "urn:uuid:33333333" + patient_uuid.substr(8)},
             {"resource",
              {{"resourceType", "Encounter"},
               {"status", "finished"},
               {"class",
                {{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"}, {"code", "AMB"}}},
               {"subject", {{"reference", patient}}},
               {"serviceProvider", {{"reference", organization}}}}},
             {"request", {{"method", "POST"}, {"url", "Encounter"}}}}})}};
}

class ImporterTest : public testing::ClinicalStoreTest {
 protected:
  void SetUp() override {
    ClinicalStoreTest::SetUp();
    if (HasFatalFailure()) return;
    importer_ = std::make_unique<Importer>(*database_, *store_, *trail_);
  }

  // Writes patient<i>.json for i in [first, last]: one patient bundle each, ids ending in i.
  std::vector<std::string> WritePatientBundles(int first, int last) {
    std::vector<std::string> paths;
    for (int i = first; i <= last; ++i) {
      const std::string n = std::to_string(i);
      paths.push_back(
          WriteFile("patient" + n + ".json",
                    PatientBundle("00000000-0000-4000-8000-00000000000" + n,
                                  "11111111-0000-4000-8000-00000000000" + n, "Family" + n)
                        .dump()));
    }
    return paths;
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = dir_.File(name);
    if (name.ends_with(".gz")) {
      gzFile file = gzopen(path.c_str(), "wb");
      gzwrite(file, text.data(), static_cast<unsigned>(text.size()));
      gzclose(file);
    } else {
      std::ofstream(path) << text;
    }
    return path;
  }

  std::unique_ptr<Importer> importer_;
  RequestContext context_ = RequestContext::System("importer-test", "cli");
};

// Files are read whole and inflated by libdeflate; what zlib's gzread accepted must still read
// the same: several members one after the other, bytes after the last member, a .gz file that is
// not compressed at all. A damaged member is refused, not read short.
TEST_F(ImporterTest, ReadsGzipFilesAsZlibDid) {
  auto bytes = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  auto text = [](const std::string& path) -> std::string {
    auto read = ReadMaybeGzipped(path);
    return read.ok() ? *read : "error: " + read.status().ToString();
  };
  auto write = [&](const std::string& name, const std::string& contents) {
    const std::string path = dir_.File(name);
    std::ofstream(path, std::ios::binary) << contents;
    return path;
  };
  // Large and repetitive, so that the inflated text is many times the file, and a second member
  // far smaller than the first: the trailer then says far less room than the whole needs.
  std::string large;
  for (int i = 0; i < 20000; ++i) large += "{\"line\": " + std::to_string(i) + "}\n";
  const std::string one = bytes(WriteFile("one.json.gz", large));
  const std::string two = bytes(WriteFile("two.json.gz", "tail"));

  EXPECT_EQ(text(WriteFile("plain.json", "{}")), "{}");
  EXPECT_EQ(text(dir_.File("one.json.gz")), large);
  EXPECT_EQ(text(write("both.json.gz", one + two)), large + "tail");
  EXPECT_EQ(text(write("padded.json.gz", two + std::string(100, '\0'))), "tail");
  EXPECT_EQ(text(write("stored.json.gz", "[1]")), "[1]");
  EXPECT_EQ(text(write("empty.json.gz", "")), "");

  std::string damaged = one;
  damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x55);
  EXPECT_EQ(ReadMaybeGzipped(write("damaged.json.gz", damaged)).status().code(),
            StatusCode::kInvalidArgument);
  std::string cut = one.substr(0, one.size() - 9);  // the trailer's checksum and size gone
  EXPECT_EQ(ReadMaybeGzipped(write("cut.json.gz", cut)).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadMaybeGzipped(dir_.File("missing.json.gz")).status().code(), StatusCode::kNotFound);
}

TEST_F(ImporterTest, RepeatedOrganizationsAreStoredOnceAndReferencesFollow) {
  const std::vector<std::string> paths = WritePatientBundles(0, 4);
  ImportStats stats;
  ASSERT_OK(importer_->ImportFiles(context_, paths, stats));
  EXPECT_EQ(stats.files, 5);
  EXPECT_EQ(stats.bundles, 5);
  EXPECT_EQ(stats.resources, 5 * 2 + 1);
  EXPECT_EQ(stats.duplicates, 4);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM resources WHERE resource_type = 'Organization'"), 1);
  // Every reference to an organisation points at the one stored.
  const std::int64_t dangling = Count(
      "SELECT COUNT(*) FROM search_reference sr WHERE sr.target_type = 'Organization' AND NOT "
      "EXISTS (SELECT 1 FROM resources r WHERE r.resource_type = 'Organization' AND r.id = "
      "sr.target_id)");
  EXPECT_EQ(dangling, 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM search_reference WHERE target_type = 'Organization'"), 10);
  // The encounters belong to their patients.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM resources WHERE resource_type = 'Encounter' AND "
                  "patient_id IS NOT NULL"),
            5);
  // One audit event per bundle.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_events WHERE action = 'resource.import'"), 5);
}

TEST_F(ImporterTest, AnOrganizationAlreadyOnFileIsNotStoredAgain) {
  ImportStats stats;
  Json first = {
      {"resourceType", "Bundle"},
      {"type", "transaction"},
      {"entry",
       Json::array({Organization("urn:uuid:22222222-0000-4000-8000-000000000001", "org-1")})}};
  ASSERT_OK(importer_->ImportBundle(context_, first, stats));
  const std::string path =
      WriteFile("later.json.gz", PatientBundle("00000000-0000-4000-8000-000000000009",
                                               "11111111-0000-4000-8000-000000000009", "Later")
                                     .dump());
  ASSERT_OK(importer_->ImportFiles(context_, {path}, stats));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM resources WHERE resource_type = 'Organization'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM search_reference WHERE target_type = 'Organization' AND "
                  "target_id = '22222222-0000-4000-8000-000000000001'"),
            2);
  // The same organisation under the same uuid again is a duplicate too, not a new version.
  const std::int64_t duplicates = stats.duplicates;
  ASSERT_OK(importer_->ImportBundle(context_, first, stats));
  EXPECT_EQ(stats.duplicates, duplicates + 1);
  EXPECT_EQ(Count("SELECT MAX(version) FROM resources WHERE resource_type = 'Organization'"), 1);
}

TEST_F(ImporterTest, AResourceTwiceInOneBundleEndsAsItsSecondVersion) {
  const Json first = {
      {"fullUrl", "urn:uuid:44444444-0000-4000-8000-000000000001"},
      {"resource", {{"resourceType", "Patient"}, {"name", Json::array({{{"family", "First"}}})}}},
      {"request", {{"method", "POST"}, {"url", "Patient"}}}};
  Json second = first;
  second["resource"]["name"][0]["family"] = "Second";
  const Json bundle = {
      {"resourceType", "Bundle"}, {"type", "batch"}, {"entry", Json::array({first, second})}};
  ImportStats stats;
  ASSERT_OK(importer_->ImportFiles(context_, {WriteFile("twice.json", bundle.dump())}, stats));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM resources WHERE resource_type = 'Patient'"), 1);
  EXPECT_EQ(Count("SELECT version FROM resources WHERE resource_type = 'Patient'"), 2);
  const std::string family = std::to_string(ParamId("Patient", "family"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM search_string WHERE param = " + family +
                  " AND normalized = 'second'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM search_string WHERE param = " + family +
                  " AND normalized = 'first'"),
            0);
}

TEST_F(ImporterTest, NdjsonIsImportedAndABadLineNamesItsNumber) {
  const std::string good = R"({"resourceType":"Patient","name":[{"family":"One"}]})"
                           "\n\n"
                           R"({"resourceType":"Patient","name":[{"family":"Two"}]})"
                           "\n";
  ImportStats stats;
  ASSERT_OK(importer_->ImportFiles(context_, {WriteFile("patients.ndjson", good)}, stats));
  EXPECT_EQ(stats.resources, 2);

  const std::string bad = good + "{not json\n";
  const Status status = importer_->ImportFiles(context_, {WriteFile("bad.ndjson", bad)}, stats);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("line 4"), std::string::npos) << status.message();
}

TEST_F(ImporterTest, AnInvalidResourceLeavesNothingOfItsBundle) {
  Json bundle = PatientBundle("00000000-0000-4000-8000-000000000001",
                              "11111111-0000-4000-8000-000000000001", "Valid");
  bundle["entry"][2]["resource"]["status"] = "not-a-status";
  ImportStats stats;
  const Status status =
      importer_->ImportFiles(context_, {WriteFile("bad.json", bundle.dump())}, stats);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("entry 2 (Encounter)"), std::string::npos) << status.message();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM resources"), 0);
}

// Bundles share transactions; when writing one fails (here a trigger stands in for a database
// error after validation), those before it stay and nothing of it or after it is kept.
TEST_F(ImporterTest, AFailedWriteKeepsTheBundlesBeforeItAndNothingOfItsOwn) {
  {
    auto tx = database_->Begin();
    ASSERT_OK(tx);
    ASSERT_OK((*tx)->ExecuteScript(
        "CREATE TRIGGER refuse_second BEFORE INSERT ON resources WHEN NEW.id = "
        "'00000000-0000-4000-8000-000000000002' BEGIN SELECT RAISE(ABORT, 'refused'); END"));
    ASSERT_OK((*tx)->Commit());
  }
  const std::vector<std::string> paths = WritePatientBundles(1, 3);
  ImportStats stats;
  const Status status = importer_->ImportFiles(context_, paths, stats);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("patient2.json"), std::string::npos) << status.message();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM resources WHERE resource_type = 'Patient'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM resources WHERE id = "
                  "'00000000-0000-4000-8000-000000000001'"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_events WHERE action = 'resource.import'"), 1);
  EXPECT_EQ(stats.bundles, 1);
  EXPECT_EQ(stats.files, 1);
  EXPECT_EQ(stats.resources, 3);  // the first bundle's patient, organisation and encounter
}

}  // namespace
}  // namespace custos::clinical

namespace custos::clinical {
namespace {

// Migration 0005 empties the index tables and asks for them to be refilled from the stored
// resources; a rebuild must give back exactly the rows the writes made, and resume from where it
// was.
TEST_F(ImporterTest, TheSearchIndexIsRebuiltFromTheStoredResourcesWhenAsked) {
  const std::vector<std::string> paths = WritePatientBundles(0, 2);
  ImportStats stats;
  ASSERT_OK(importer_->ImportFiles(context_, paths, stats));
  const char* kTables[] = {"search_token", "search_string", "search_date", "search_reference"};
  auto rows = [&] {
    std::string all;
    for (const char* table : kTables) {
      auto tx = database_->Begin(storage::TransactionMode::kReadOnly);
      EXPECT_OK((*tx)->Query(std::string("SELECT * FROM ") + table + " ORDER BY 1, 2, 3, 4", {},
                             [&](const storage::Row& row) {
                               for (int c = 0; c < row.size(); ++c)
                                 all += std::string(row.Text(c)) + "|";
                               all += "\n";
                               return true;
                             }));
    }
    return all;
  };
  const std::string written = rows();
  ASSERT_GT(Count("SELECT COUNT(*) FROM search_reference"), 0);

  // Nothing asked: nothing done.
  ASSERT_OK_AND_ASSIGN(std::int64_t untouched, store_->RebuildSearchIndexIfAsked(context_));
  EXPECT_EQ(untouched, 0);

  // As the migration leaves it: empty tables and a request. Then as an interrupted rebuild
  // leaves it: the rows of the first resources present, the request pointing past them.
  for (int stage = 0; stage < 2; ++stage) {
    {
      auto tx = database_->Begin();
      ASSERT_OK(tx);
      const std::int64_t next = stage == 0 ? 0 : 3;
      for (const char* table : kTables) {
        ASSERT_OK((*tx)->Execute(std::string("DELETE FROM ") + table + " WHERE rid >= $1", {next}));
      }
      ASSERT_OK(
          (*tx)->Execute("INSERT INTO search_index_rebuild (id, next_rid) VALUES (1, $1)", {next}));
      ASSERT_OK((*tx)->Commit());
    }
    ASSERT_NE(rows(), written);
    ASSERT_OK_AND_ASSIGN(std::int64_t rebuilt, store_->RebuildSearchIndexIfAsked(context_));
    EXPECT_EQ(rebuilt, stage == 0 ? Count("SELECT COUNT(*) FROM resources")
                                  : Count("SELECT COUNT(*) FROM resources WHERE rid >= 3"));
    EXPECT_EQ(rows(), written);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM search_index_rebuild"), 0);
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_events WHERE action = 'search_index.rebuild'"), 2);
}

}  // namespace
}  // namespace custos::clinical
