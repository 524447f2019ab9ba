// The FHIR REST interface over real HTTP, on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "custos/clinical/importer.h"
#include "testing/http_client.h"
#include "testing/test_data.h"
#include "testing/test_server.h"

namespace custos::testing {
namespace {

Json PatientResource(const std::string& family) {
  return {{"resourceType", "Patient"},
          {"name", Json::array({{{"family", family}, {"given", Json::array({"Ana"})}}})},
          {"gender", "female"},
          {"birthDate", "1980-04-02"}};
}

class FhirTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(TestServerOptions{.backend = GetParam()});
    if (server_->skipped()) GTEST_SKIP() << "no PostgreSQL: run under tests/with_postgres.sh";
    client_ = std::make_unique<HttpClient>(server_->port());
    clinician_ = server_->TokenFor("clinician");
    ASSERT_FALSE(clinician_.empty());
  }

  HttpResult Fhir(const std::string& method, const std::string& target, const Json& body = nullptr,
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Authorization", "Bearer " + clinician_);
    return client_->Send(method, target, body.is_null() ? "" : body.dump(), headers);
  }
  Json AuditEvents(const std::string& query) {
    const HttpResult result =
        client_->Get("/api/v1/audit/events?" + query, server_->TokenFor("auditor"));
    EXPECT_EQ(result.status, 200);
    return result.JsonBody()["events"];
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<HttpClient> client_;
  std::string clinician_;
};

TEST_P(FhirTest, CapabilityStatementIsPublicAndListsTheStoredTypes) {
  const HttpResult result = client_->Get("/fhir/metadata");
  ASSERT_EQ(result.status, 200);
  EXPECT_EQ(result.Header("content-type"), "application/fhir+json; charset=utf-8");
  const Json statement = result.JsonBody();
  EXPECT_EQ(statement["fhirVersion"], "4.0.1");
  std::set<std::string> types;
  for (const auto& resource : statement["rest"][0]["resource"]) types.insert(resource["type"]);
  EXPECT_EQ(types.size(), 21u);
  EXPECT_TRUE(types.count("Coverage"));
  EXPECT_TRUE(types.count("Observation"));
}

TEST_P(FhirTest, CreateReadUpdateDeleteKeepsEveryVersion) {
  const HttpResult created = Fhir("POST", "/fhir/Patient", PatientResource("Garcia"));
  ASSERT_EQ(created.status, 201) << created.body;
  const Json patient = created.JsonBody();
  const std::string id = patient["id"];
  EXPECT_EQ(patient["meta"]["versionId"], "1");
  EXPECT_EQ(created.Header("etag"), "W/\"1\"");
  EXPECT_NE(created.Header("location").find("/fhir/Patient/" + id + "/_history/1"),
            std::string::npos);

  const HttpResult read = Fhir("GET", "/fhir/Patient/" + id);
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.JsonBody()["name"][0]["family"], "Garcia");

  Json changed = read.JsonBody();
  changed["name"][0]["family"] = "Garcia-Lopez";
  const HttpResult updated = Fhir("PUT", "/fhir/Patient/" + id, changed, {{"If-Match", "W/\"1\""}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(updated.JsonBody()["meta"]["versionId"], "2");

  // A writer that saw version 1 loses.
  const HttpResult stale = Fhir("PUT", "/fhir/Patient/" + id, changed, {{"If-Match", "W/\"1\""}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_EQ(stale.JsonBody()["resourceType"], "OperationOutcome");

  EXPECT_EQ(Fhir("GET", "/fhir/Patient/" + id + "/_history/1").JsonBody()["name"][0]["family"],
            "Garcia");
  EXPECT_EQ(Fhir("DELETE", "/fhir/Patient/" + id).status, 204);
  EXPECT_EQ(Fhir("GET", "/fhir/Patient/" + id).status, 410);
  const Json history = Fhir("GET", "/fhir/Patient/" + id + "/_history").JsonBody();
  EXPECT_EQ(history["type"], "history");
  ASSERT_EQ(history["entry"].size(), 3u);
  EXPECT_EQ(history["entry"][0]["request"]["method"], "DELETE");
  EXPECT_EQ(history["entry"][2]["resource"]["name"][0]["family"], "Garcia");
}

// Reads that arrive together are read together (one statement per batch of the read-audit
// batcher): each request must still get its own resource, or its own 404 or 410, and every
// resource given out must be on the audit trail once per read.
TEST_P(FhirTest, ConcurrentReadsGetTheirOwnResourceAndAreEachAudited) {
  std::vector<std::string> ids;
  for (const char* family : {"Ames", "Baker", "Cruz", "Diaz", "Evans"}) {
    const HttpResult created = Fhir("POST", "/fhir/Patient", PatientResource(family));
    ASSERT_EQ(created.status, 201) << created.body;
    ids.push_back(created.JsonBody()["id"]);
  }
  ASSERT_EQ(Fhir("DELETE", "/fhir/Patient/" + ids[4]).status, 204);
  const std::vector<std::string> families = {"Ames", "Baker", "Cruz", "Diaz"};
  constexpr int kThreads = 16, kReadsEach = 20;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client(server_->port());
      for (int i = 0; i < kReadsEach; ++i) {
        // Cycles through the four live patients, the deleted one and one that never was.
        const int which = (t + i) % 6;
        const std::string id = which < 5 ? ids[static_cast<std::size_t>(which)] : "no-such-patient";
        const HttpResult read = client.Send("GET", "/fhir/Patient/" + id, "",
                                            {{"Authorization", "Bearer " + clinician_}});
        const bool right = which < 4 ? read.status == 200 && read.JsonBody()["id"] == id &&
                                           read.JsonBody()["name"][0]["family"] ==
                                               families[static_cast<std::size_t>(which)]
                                     : read.status == (which == 4 ? 410 : 404);
        if (!right) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  // Each (thread, read) pair chose `which` = (t + i) % 6; count the reads of each patient.
  std::map<std::string, int> expected;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kReadsEach; ++i) {
      const int which = (t + i) % 6;
      if (which < 5) ++expected[ids[static_cast<std::size_t>(which)]];
    }
  }
  for (const auto& [id, reads] : expected) {
    // The deleted one's reads are audited too: the 410 tells that it existed.
    EXPECT_EQ(AuditEvents("action=resource.read&object_id=" + id + "&limit=500").size(),
              static_cast<std::size_t>(reads))
        << id;
  }
}

TEST_P(FhirTest, InvalidResourcesAreRefusedWithTheElementNamed) {
  Json bad = PatientResource("Smith");
  bad["birthDate"] = "1980-13-45";
  const HttpResult result = Fhir("POST", "/fhir/Patient", bad);
  EXPECT_EQ(result.status, 422) << result.body;
  const Json outcome = result.JsonBody();
  EXPECT_EQ(outcome["resourceType"], "OperationOutcome");
  bool named = false;
  for (const auto& issue : outcome["issue"]) {
    for (const auto& expression : issue.value("expression", Json::array())) {
      named = named || expression.get<std::string>().find("birthDate") != std::string::npos;
    }
  }
  EXPECT_TRUE(named) << result.body;
  Json wrong_gender = PatientResource("Smith");
  wrong_gender["gender"] = "m";
  EXPECT_EQ(Fhir("POST", "/fhir/Patient", wrong_gender).status, 422);
  EXPECT_EQ(Fhir("POST", "/fhir/Patient", Json::array()).status, 400);
  // Nothing was stored by the failed requests.
  EXPECT_EQ(AuditEvents("action=resource.create").size(), 0u);
}

TEST_P(FhirTest, ReadsAndWritesOfPatientDataAreAuditedWithThePatient) {
  const std::string id = Fhir("POST", "/fhir/Patient", PatientResource("Audit")).JsonBody()["id"];
  const Json observation = {
      {"resourceType", "Observation"},
      {"status", "final"},
      {"code", {{"coding", Json::array({{{"system", "http://loinc.org"}, {"code", "8867-4"}}})}}},
      {"subject", {{"reference", "Patient/" + id}}},
      {"effectiveDateTime", "2026-11-20T08:00:00Z"},
      {"valueQuantity",
       {{"value", 72},
        {"unit", "/min"},
        {"system", "http://unitsofmeasure.org"},
        {"code", "/min"}}}};
  const HttpResult created = Fhir("POST", "/fhir/Observation", observation);
  ASSERT_EQ(created.status, 201) << created.body;
  Fhir("GET", "/fhir/Observation/" + created.JsonBody()["id"].get<std::string>());
  const Json events = AuditEvents("patient=" + id);
  std::set<std::string> actions;
  for (const auto& event : events) {
    actions.insert(event["action"]);
    EXPECT_EQ(event["actor_name"], "clinician");
  }
  EXPECT_TRUE(actions.count("resource.create"));
  EXPECT_TRUE(actions.count("resource.read"));
}

TEST_P(FhirTest, EverythingStreamsTheWholeRecordAndWhatItReferences) {
  const Json practitioner = {{"resourceType", "Practitioner"},
                             {"name", Json::array({{{"family", "Osler"}}})}};
  const std::string practitioner_id =
      Fhir("POST", "/fhir/Practitioner", practitioner).JsonBody()["id"];
  const std::string id =
      Fhir("POST", "/fhir/Patient", PatientResource("Everything")).JsonBody()["id"];
  const std::string other = Fhir("POST", "/fhir/Patient", PatientResource("Else")).JsonBody()["id"];
  // More encounters than one page of the stream holds.
  constexpr int kEncounters = 450;
  Json bundle = {{"resourceType", "Bundle"}, {"type", "transaction"}, {"entry", Json::array()}};
  for (int i = 0; i < kEncounters; ++i) {
    bundle["entry"].push_back(
        {{"resource",
          {{"resourceType", "Encounter"},
           {"status", "finished"},
           {"class",
            {{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"}, {"code", "AMB"}}},
           {"subject", {{"reference", "Patient/" + (i % 10 == 9 ? other : id)}}},
           {"participant",
            Json::array({{{"individual", {{"reference", "Practitioner/" + practitioner_id}}}}})}}},
         {"request", {{"method", "POST"}, {"url", "Encounter"}}}});
  }
  ASSERT_EQ(Fhir("POST", "/fhir", bundle).status, 200);

  const HttpResult result = Fhir("GET", "/fhir/Patient/" + id + "/$everything");
  ASSERT_EQ(result.status, 200) << result.body;
  EXPECT_EQ(result.Header("transfer-encoding"), "chunked");
  const Json everything = result.JsonBody();
  ASSERT_TRUE(everything.is_object()) << result.body.substr(0, 200);
  EXPECT_EQ(everything["type"], "searchset");
  std::map<std::string, int> matched;
  std::set<std::string> seen;
  for (const auto& entry : everything["entry"]) {
    const std::string key = entry["resource"]["resourceType"].get<std::string>() + "/" +
                            entry["resource"]["id"].get<std::string>();
    EXPECT_TRUE(seen.insert(key).second) << key << " twice";
    EXPECT_TRUE(entry["fullUrl"].get<std::string>().ends_with(key));
    if (entry["search"]["mode"] == "match") {
      ++matched[entry["resource"]["resourceType"]];
      if (entry["resource"]["resourceType"] == "Encounter") {
        EXPECT_EQ(entry["resource"]["subject"]["reference"], "Patient/" + id);
      }
    } else {
      EXPECT_EQ(key, "Practitioner/" + practitioner_id);
    }
  }
  EXPECT_EQ(everything["entry"][0]["resource"]["id"], id);  // the Patient first
  EXPECT_EQ(matched["Patient"], 1);
  EXPECT_EQ(matched["Encounter"], kEncounters - kEncounters / 10);
  EXPECT_TRUE(seen.count("Practitioner/" + practitioner_id));

  // _type narrows the record; the read is on the audit trail.
  const Json patients_only =
      Fhir("GET", "/fhir/Patient/" + id + "/$everything?_type=Patient").JsonBody();
  ASSERT_EQ(patients_only["entry"].size(), 1u);
  std::set<std::string> actions;
  for (const auto& event : AuditEvents("patient=" + id)) actions.insert(event["action"]);
  EXPECT_TRUE(actions.count("patient.everything"));

  EXPECT_EQ(Fhir("GET", "/fhir/Patient/no-such/$everything").status, 404);
  const HttpResult bad = Fhir("GET", "/fhir/Patient/" + id + "/$everything?_type=Nonsense");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.JsonBody()["issue"][0]["expression"][0], "_type");
}

// tests/data/fhir/synthea: three Synthea bundles.
std::vector<std::string> SyntheaFiles() {
  const std::filesystem::path folder = TestData("fhir/synthea");
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST_P(FhirTest, ImportedBundlesAreSearchableAndAReimportMakesNewVersions) {
  const std::vector<std::string> files = SyntheaFiles();
  ASSERT_EQ(files.size(), 3u);
  auto& runtime = server_->runtime();
  clinical::Importer importer(runtime.database(), runtime.resources(), runtime.audit_trail());
  const RequestContext context = RequestContext::System("fhir-test", "test");
  auto total = [&](const std::string& query) {
    return Fhir("GET", "/fhir/" + query + (query.find('?') == std::string::npos ? "?" : "&") +
                           "_summary=count")
        .JsonBody()["total"]
        .get<int>();
  };
  const int patients_before = total("Patient");
  clinical::ImportStats first;
  ASSERT_TRUE(importer.ImportFiles(context, files, first).ok());
  EXPECT_EQ(first.bundles, 3);
  EXPECT_EQ(total("Patient"), patients_before + 3);
  const int organizations = total("Organization");
  const int encounters = total("Encounter");
  EXPECT_GT(encounters, 0);
  // Every encounter is found by its patient.
  int by_patient = 0;
  const HttpResult patients = Fhir("GET", "/fhir/Patient?_count=100");
  ASSERT_EQ(patients.status, 200) << patients.body;
  const Json found = patients.JsonBody();
  for (const auto& entry : found["entry"]) {
    by_patient += total("Encounter?patient=" + entry["resource"]["id"].get<std::string>());
  }
  EXPECT_EQ(by_patient, encounters);

  // The same files again: new versions of the same resources, nothing twice.
  clinical::ImportStats second;
  ASSERT_TRUE(importer.ImportFiles(context, files, second).ok());
  // (The organisations and practitioners are on file now, so they count as duplicates.)
  EXPECT_EQ(second.resources + second.duplicates, first.resources + first.duplicates);
  EXPECT_EQ(total("Patient"), patients_before + 3);
  EXPECT_EQ(total("Organization"), organizations);
  EXPECT_EQ(total("Encounter"), encounters);
  const Json patient = Fhir("GET", "/fhir/Patient?_count=1&_sort=-_lastUpdated").JsonBody();
  EXPECT_EQ(patient["entry"][0]["resource"]["meta"]["versionId"], "2");
}

TEST_P(FhirTest, ErrorsAreOperationOutcomes) {
  const HttpResult anonymous = client_->Get("/fhir/Patient/x");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.JsonBody()["resourceType"], "OperationOutcome");
  const HttpResult forbidden = client_->Get("/fhir/Patient/x", server_->TokenFor("registrar"));
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(forbidden.JsonBody()["issue"][0]["code"], "forbidden");
  EXPECT_EQ(Fhir("GET", "/fhir/Patient/nope").status, 404);
  EXPECT_EQ(Fhir("GET", "/fhir/Spaceship/1").status, 404);
}

TEST_P(FhirTest, SearchByTokenStringDateReferenceAndChains) {
  const std::string ana = Fhir("POST", "/fhir/Patient", PatientResource("Núñez")).JsonBody()["id"];
  const std::string bob = Fhir("POST", "/fhir/Patient", PatientResource("Baker")).JsonBody()["id"];
  auto observation = [&](const std::string& patient, const std::string& code,
                         const std::string& when, double value) {
    const Json body = {
        {"resourceType", "Observation"},
        {"status", "final"},
        {"code", {{"coding", Json::array({{{"system", "http://loinc.org"}, {"code", code}}})}}},
        {"subject", {{"reference", "Patient/" + patient}}},
        {"effectiveDateTime", when},
        {"valueQuantity",
         {{"value", value},
          {"unit", "/min"},
          {"system", "http://unitsofmeasure.org"},
          {"code", "/min"}}}};
    const HttpResult created = Fhir("POST", "/fhir/Observation", body);
    EXPECT_EQ(created.status, 201) << created.body;
  };
  observation(ana, "8867-4", "2026-01-10T08:00:00Z", 70);
  observation(ana, "8867-4", "2026-03-10T08:00:00Z", 90);
  observation(ana, "8310-5", "2026-03-11T08:00:00Z", 37);
  observation(bob, "8867-4", "2026-03-12T08:00:00Z", 60);

  auto total = [&](const std::string& query) {
    const HttpResult result = Fhir("GET", query);
    EXPECT_EQ(result.status, 200) << query << " " << result.body;
    return result.JsonBody().value("total", -1);
  };
  EXPECT_EQ(total("/fhir/Patient?family=nunez"), 1);  // accents and case folded
  EXPECT_EQ(total("/fhir/Patient?family:exact=Núñez"), 1);
  EXPECT_EQ(total("/fhir/Patient?family:exact=nunez"), 0);
  EXPECT_EQ(total("/fhir/Patient?name:contains=ake"), 1);
  EXPECT_EQ(total("/fhir/Patient?gender=female&birthdate=1980-04"), 2);
  EXPECT_EQ(total("/fhir/Observation?subject=Patient/" + ana), 3);
  EXPECT_EQ(total("/fhir/Observation?patient=" + ana + "&code=http://loinc.org|8867-4"), 2);
  EXPECT_EQ(total("/fhir/Observation?patient=" + ana + "&code=8867-4&date=ge2026-02"), 1);
  EXPECT_EQ(total("/fhir/Observation?date=lt2026-02-01"), 1);
  EXPECT_EQ(total("/fhir/Observation?code=8867-4,8310-5"), 4);
  EXPECT_EQ(total("/fhir/Observation?value-quantity=gt65"), 2);
  EXPECT_EQ(total("/fhir/Observation?subject:Patient.family=baker"), 1);
  EXPECT_EQ(total("/fhir/Observation?patient.family=nunez"), 3);
  EXPECT_EQ(total("/fhir/Observation?code:not=8867-4"), 1);
  EXPECT_EQ(total("/fhir/Patient?_id=" + ana + "," + bob), 2);

  const Json paged = Fhir("GET", "/fhir/Observation?_count=2&_sort=-date").JsonBody();
  ASSERT_EQ(paged["entry"].size(), 2u);
  EXPECT_EQ(paged["entry"][0]["resource"]["effectiveDateTime"], "2026-03-12T08:00:00Z");
  bool has_next = false;
  for (const auto& link : paged["link"]) has_next = has_next || link["relation"] == "next";
  EXPECT_TRUE(has_next);

  const Json with_patients =
      Fhir("GET", "/fhir/Observation?code=8310-5&_include=Observation:subject").JsonBody();
  ASSERT_EQ(with_patients["entry"].size(), 2u);
  EXPECT_EQ(with_patients["entry"][1]["search"]["mode"], "include");
  EXPECT_EQ(with_patients["entry"][1]["resource"]["resourceType"], "Patient");
  const Json rev =
      Fhir("GET", "/fhir/Patient?_id=" + ana + "&_revinclude=Observation:subject").JsonBody();
  EXPECT_EQ(rev["entry"].size(), 4u);
  const Json count_only = Fhir("GET", "/fhir/Observation?_summary=count").JsonBody();
  EXPECT_EQ(count_only["total"], 4);
  EXPECT_FALSE(count_only.contains("entry"));

  const HttpResult unknown = Fhir("GET", "/fhir/Patient?shoe-size=42");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.JsonBody()["issue"][0]["expression"][0], "shoe-size");
  const HttpResult posted = Fhir("POST", "/fhir/Patient/_search", nullptr,
                                 {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(posted.status, 200);
}

TEST_P(FhirTest, TransactionsResolveReferencesAndAreAllOrNothing) {
  const Json transaction = {
      {"resourceType", "Bundle"},
      {"type", "transaction"},
      {"entry",
       Json::array(
           {{{"fullUrl", "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"},
             {"resource", PatientResource("Trans")},
             {"request", {{"method", "POST"}, {"url", "Patient"}}}},
            {{"fullUrl", "urn:uuid:88f151c0-a954-468a-88bd-5ae15c08e059"},
             {"resource",
              {{"resourceType", "Encounter"},
               {"status", "finished"},
               {"class",
                {{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"}, {"code", "AMB"}}},
               {"subject", {{"reference", "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}}}}},
             {"request", {{"method", "POST"}, {"url", "Encounter"}}}}})}};
  const HttpResult result = Fhir("POST", "/fhir/", transaction);  // trailing slash accepted
  ASSERT_EQ(result.status, 200) << result.body;
  const Json response = result.JsonBody();
  EXPECT_EQ(response["type"], "transaction-response");
  const std::string patient_location = response["entry"][0]["response"]["location"];
  const std::string patient_id = patient_location.substr(8, patient_location.find("/_history") - 8);
  const Json encounters = Fhir("GET", "/fhir/Encounter?subject=Patient/" + patient_id).JsonBody();
  EXPECT_EQ(encounters["total"], 1);

  Json broken = transaction;
  broken["entry"][0]["resource"]["name"][0]["family"] = "Broken";
  broken["entry"][1]["resource"]["status"] = "not-a-status";
  const HttpResult failed = Fhir("POST", "/fhir", broken);
  EXPECT_GE(failed.status, 400);
  EXPECT_EQ(failed.JsonBody()["resourceType"], "OperationOutcome");
  EXPECT_EQ(Fhir("GET", "/fhir/Patient?family=broken").JsonBody()["total"], 0);  // nothing stored

  broken["type"] = "batch";
  const Json batch = Fhir("POST", "/fhir", broken).JsonBody();
  EXPECT_EQ(batch["type"], "batch-response");
  EXPECT_EQ(batch["entry"][0]["response"]["status"], "201 Created");
  EXPECT_NE(batch["entry"][1]["response"]["status"].get<std::string>().substr(0, 1), "2");
}

TEST_P(FhirTest, ConcurrentConditionalCreatesMakeExactlyOne) {
  Json organization = {
      {"resourceType", "Organization"},
      {"name", "General Hospital"},
      {"identifier", Json::array({{{"system", "http://example.org/org"}, {"value", "GH-1"}}})}};
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  std::atomic<int> matched{0};
  for (int i = 0; i < 32; ++i) {
    threads.emplace_back([&] {
      HttpClient client(server_->port());
      const HttpResult result =
          client.Send("POST", "/fhir/Organization", organization.dump(),
                      {{"Authorization", "Bearer " + clinician_},
                       {"If-None-Exist", "identifier=http://example.org/org|GH-1"}});
      if (result.status == 201) ++created;
      if (result.status == 200) ++matched;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(matched.load(), 31);
  EXPECT_EQ(Fhir("GET", "/fhir/Organization?identifier=GH-1").JsonBody()["total"], 1);
}

TEST_P(FhirTest, JsonPatchAndValidate) {
  const std::string id = Fhir("POST", "/fhir/Patient", PatientResource("Patchy")).JsonBody()["id"];
  const Json patch = Json::array({{{"op", "replace"}, {"path", "/gender"}, {"value", "other"}}});
  const HttpResult patched = Fhir("PATCH", "/fhir/Patient/" + id, patch);
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.JsonBody()["gender"], "other");
  EXPECT_EQ(patched.JsonBody()["meta"]["versionId"], "2");
  const Json bad_patch =
      Json::array({{{"op", "replace"}, {"path", "/gender"}, {"value", "robot"}}});
  EXPECT_EQ(Fhir("PATCH", "/fhir/Patient/" + id, bad_patch).status, 422);

  Json invalid = PatientResource("Valid");
  invalid["birthDate"] = "yesterday";
  const Json outcome = Fhir("POST", "/fhir/Patient/$validate", invalid).JsonBody();
  EXPECT_EQ(outcome["resourceType"], "OperationOutcome");
  EXPECT_EQ(outcome["issue"][0]["severity"], "error");
  EXPECT_EQ(Fhir("POST", "/fhir/Patient/$validate", PatientResource("Valid"))
                .JsonBody()["issue"][0]["severity"],
            "information");
  EXPECT_EQ(Fhir("GET", "/fhir/Patient?family=valid").JsonBody()["total"],
            0);  // $validate stores nothing
}

INSTANTIATE_TEST_SUITE_P(Backends, FhirTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) {
                           return info.param == TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace custos::testing
