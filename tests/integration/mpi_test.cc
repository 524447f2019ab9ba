// The master patient index over real HTTP, on SQLite and PostgreSQL: registration with search
// before create, the duplicate queue, merge and unmerge, Patient/$match and the report.
#include <gtest/gtest.h>

#include <set>

#include "testing/http_client.h"
#include "testing/test_server.h"

namespace custos::testing {
namespace {

Json Registration(const std::string& given, const std::string& family,
                  const std::string& birth_date = "1980-03-12",
                  const std::string& ssn = "219-45-6781") {
  return {{"name", {{"given", given}, {"family", family}}},
          {"birth_date", birth_date},
          {"sex", "male"},
          {"ssn", ssn},
          {"address",
           {{"line", Json::array({"12 Main St"})},
            {"city", "Springfield"},
            {"state", "MA"},
            {"postal_code", "01101"}}},
          {"phone", "(413) 555-0101"}};
}

class MpiTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>(TestServerOptions{.backend = GetParam()});
    if (server_->skipped()) GTEST_SKIP() << "no PostgreSQL: run under tests/with_postgres.sh";
    client_ = std::make_unique<HttpClient>(server_->port());
    registrar_ = server_->TokenFor("registrar");
    analyst_ = server_->TokenFor("analyst");
    clinician_ = server_->TokenFor("clinician");
  }

  HttpResult Register(const Json& body) {
    return client_->Post("/api/v1/patients", body, registrar_);
  }
  // Registers and returns the new patient's id.
  std::string RegisterNew(Json body) {
    body["confirm_new_person"] = true;
    const HttpResult result = Register(body);
    EXPECT_EQ(result.status, 201) << result.body;
    return result.JsonBody()["patient"].value("patient_id", "");
  }
  HttpResult Fhir(const std::string& method, const std::string& target, const Json& body = nullptr,
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Authorization", "Bearer " + clinician_);
    return client_->Send(method, target, body.is_null() ? "" : body.dump(), headers);
  }
  int PatientCount() {
    return Fhir("GET", "/fhir/Patient?_summary=count").JsonBody().value("total", -1);
  }
  Json AuditEvents(const std::string& query) {
    const HttpResult result =
        client_->Get("/api/v1/audit/events?" + query, server_->TokenFor("auditor"));
    EXPECT_EQ(result.status, 200);
    return result.JsonBody()["events"];
  }
  Json Queue(const std::string& status = "open") {
    const HttpResult result = client_->Get("/api/v1/mpi/queue?status=" + status, analyst_);
    EXPECT_EQ(result.status, 200) << result.body;
    return result.JsonBody()["items"];
  }

  std::unique_ptr<TestServer> server_;
  std::unique_ptr<HttpClient> client_;
  std::string registrar_;
  std::string analyst_;
  std::string clinician_;
};

TEST_P(MpiTest, BadRegistrationsNameTheFieldAndStoreNothing) {
  const std::vector<std::pair<std::string, Json>> cases = {
      {"ssn", Registration("Ann", "Lee", "1980-03-12", "666-12-3456")},
      {"ssn", Registration("Ann", "Lee", "1980-03-12", "000-12-3456")},
      {"ssn", Registration("Ann", "Lee", "1980-03-12", "912-12-3456")},
      {"ssn", Registration("Ann", "Lee", "1980-03-12", "123-45-6789")},
      {"ssn", Registration("Ann", "Lee", "1980-03-12", "219-00-3456")},
      {"ssn", Registration("Ann", "Lee", "1980-03-12", "12-345")},
      {"birth_date", Registration("Ann", "Lee", "1980-02-30")},
      {"birth_date", Registration("Ann", "Lee", "2999-01-01")},
      {"birth_date", Registration("Ann", "Lee", "03/12/1980")},
  };
  for (const auto& [field, body] : cases) {
    const HttpResult result = Register(body);
    EXPECT_EQ(result.status, 400) << body.dump();
    EXPECT_EQ(result.ErrorField(), field) << result.body;
  }
  Json no_family = Registration("Ann", "");
  EXPECT_EQ(Register(no_family).ErrorField(), "name.family");
  Json bad_coverage = Registration("Ann", "Lee");
  bad_coverage["coverage"] = Json::array({{{"payer", "Aetna"}}});
  EXPECT_EQ(Register(bad_coverage).ErrorField(), "coverage[0].member_id");
  Json bad_phone = Registration("Ann", "Lee");
  bad_phone["phone"] = "555-01";
  EXPECT_EQ(Register(bad_phone).ErrorField(), "phone");
  Json bad_sex = Registration("Ann", "Lee");
  bad_sex["sex"] = "m";
  EXPECT_EQ(Register(bad_sex).ErrorField(), "sex");

  EXPECT_EQ(PatientCount(), 0);
  EXPECT_EQ(AuditEvents("action=patient.register").size(), 0u);
}

TEST_P(MpiTest, SearchBeforeCreateWarnsAndCreatingAnywayIsAuditedAndQueued) {
  Json william = Registration("William", "Smith");
  william["coverage"] = Json::array({{{"payer", "Aetna"},
                                      {"member_id", "W123"},
                                      {"group", "G9"},
                                      {"verification_status", "verified"},
                                      {"verified_on", "2026-11-20"}}});
  const HttpResult first = Register(william);
  ASSERT_EQ(first.status, 201) << first.body;
  const Json patient = first.JsonBody()["patient"];
  const std::string william_id = patient["patient_id"];
  EXPECT_EQ(patient["mrn"], "MAIN-00000001");
  EXPECT_EQ(patient["ssn_last4"], "6781");
  // Written as FHIR: the Patient with its MRN and a Coverage.
  const Json stored = Fhir("GET", "/fhir/Patient/" + william_id).JsonBody();
  EXPECT_EQ(stored["birthDate"], "1980-03-12");
  const Json coverage = Fhir("GET", "/fhir/Coverage?beneficiary=Patient/" + william_id).JsonBody();
  ASSERT_EQ(coverage.value("total", 0), 1) << coverage.dump();
  EXPECT_EQ(coverage["entry"][0]["resource"]["subscriberId"], "W123");

  // The registrar types "Bill Smith", same birth date, no SSN: William comes up, with why.
  Json bill = Registration("Bill", "Smith");
  bill.erase("ssn");
  const HttpResult match = client_->Post("/api/v1/patients/match", bill, registrar_);
  ASSERT_EQ(match.status, 200) << match.body;
  const Json candidates = match.JsonBody()["candidates"];
  ASSERT_GE(candidates.size(), 1u) << match.body;
  EXPECT_EQ(candidates[0]["patient_id"], william_id);
  EXPECT_TRUE(candidates[0]["decision"] == "link" || candidates[0]["decision"] == "review");
  std::set<std::string> fields;
  for (const auto& field : candidates[0]["fields"]) fields.insert(field["field"]);
  EXPECT_TRUE(fields.count("given_name")) << candidates[0].dump();
  EXPECT_TRUE(fields.count("date_of_birth"));
  // Showing William to the registrar is an audited read of his record.
  Json shown = AuditEvents("action=patient.match&patient=" + william_id);
  ASSERT_EQ(shown.size(), 1u) << shown.dump();
  EXPECT_EQ(shown[0]["actor_name"], "registrar");

  // Registering Bill is refused until the registrar confirms a new person; nothing is stored.
  const HttpResult warned = Register(bill);
  EXPECT_EQ(warned.status, 409) << warned.body;
  EXPECT_EQ(warned.ErrorCode(), "possible_duplicate");
  EXPECT_EQ(warned.ErrorField(), "confirm_new_person");
  EXPECT_EQ(warned.JsonBody()["candidates"][0]["patient_id"], william_id);
  EXPECT_EQ(PatientCount(), 1);
  // The warning showed William again: audited too, although nothing was registered.
  EXPECT_EQ(AuditEvents("action=patient.match&patient=" + william_id).size(), 2u);

  const std::string bill_id = RegisterNew(bill);
  ASSERT_FALSE(bill_id.empty());
  EXPECT_EQ(PatientCount(), 2);
  const Json events = AuditEvents("action=patient.register");
  ASSERT_EQ(events.size(), 2u);
  bool confirmed = false;
  for (const auto& event : events) {
    const Json details = event["details"].is_string()
                             ? Json::parse(event["details"].get<std::string>())
                             : event["details"];
    if (event["patient_id"] == bill_id) {
      confirmed = details.value("confirmed_new_person", false) &&
                  details["candidates"][0]["patient_id"] == william_id;
    }
  }
  EXPECT_TRUE(confirmed) << events.dump();
  // The pair waits in the analyst's queue.
  const Json queue = Queue();
  ASSERT_EQ(queue.size(), 1u);
  const std::set<std::string> pair = {queue[0]["patient_a"]["patient_id"],
                                      queue[0]["patient_b"]["patient_id"]};
  EXPECT_EQ(pair, (std::set<std::string>{william_id, bill_id}));
  // The registrar may not work the queue; a coder may not register.
  EXPECT_EQ(client_->Get("/api/v1/mpi/queue", registrar_).status, 403);
  EXPECT_EQ(client_->Post("/api/v1/patients", bill, server_->TokenFor("coder")).status, 403);
}

TEST_P(MpiTest, TwinsAndPlaceholdersAreNeverAutoLinked) {
  Json jack = Registration("Jack", "Ortiz", "2015-06-01", "219-45-1111");
  RegisterNew(jack);
  Json jill = Registration("Jill", "Ortiz", "2015-06-01", "");
  jill.erase("ssn");
  jill["sex"] = "female";
  const Json twins = client_->Post("/api/v1/patients/match", jill, registrar_).JsonBody();
  for (const auto& candidate : twins["candidates"]) EXPECT_NE(candidate["decision"], "link");

  Json baby = Registration("Baby Boy", "Nguyen", "2026-11-20", "");
  baby.erase("ssn");
  RegisterNew(baby);
  Json baby_again = baby;
  baby_again.erase("confirm_new_person");
  const Json placeholders =
      client_->Post("/api/v1/patients/match", baby_again, registrar_).JsonBody();
  for (const auto& candidate : placeholders["candidates"]) {
    EXPECT_NE(candidate["decision"], "link") << candidate.dump();
  }
}

TEST_P(MpiTest, MergeMovesTheRecordAndUnmergeRestoresEverything) {
  const std::string survivor = RegisterNew(Registration("William", "Smith"));
  Json other = Registration("Bill", "Smith");
  other["phone"] = "(413) 555-0199";
  const std::string duplicate = RegisterNew(other);
  const Json queue = Queue();
  ASSERT_EQ(queue.size(), 1u);
  const std::string pair_id = queue[0]["pair_id"];
  const Json side_by_side = client_->Get("/api/v1/mpi/queue/" + pair_id, analyst_).JsonBody();
  EXPECT_FALSE(side_by_side["fields"].empty()) << side_by_side.dump();

  // The duplicate's record: an encounter and an observation.
  const Json encounter = {
      {"resourceType", "Encounter"},
      {"status", "finished"},
      {"class", {{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"}, {"code", "AMB"}}},
      {"subject", {{"reference", "Patient/" + duplicate}}}};
  const HttpResult encounter_created = Fhir("POST", "/fhir/Encounter", encounter);
  ASSERT_EQ(encounter_created.status, 201) << encounter_created.body;
  const std::string encounter_id = encounter_created.JsonBody()["id"];
  const Json observation = {
      {"resourceType", "Observation"},
      {"status", "final"},
      {"code", {{"coding", Json::array({{{"system", "http://loinc.org"}, {"code", "8867-4"}}})}}},
      {"subject", {{"reference", "Patient/" + duplicate}}},
      {"valueQuantity", {{"value", 72}, {"unit", "/min"}}}};
  const HttpResult observation_created = Fhir("POST", "/fhir/Observation", observation);
  ASSERT_EQ(observation_created.status, 201) << observation_created.body;
  const std::string observation_id = observation_created.JsonBody()["id"];
  const Json survivor_before = Fhir("GET", "/fhir/Patient/" + survivor).JsonBody();
  const Json duplicate_before = Fhir("GET", "/fhir/Patient/" + duplicate).JsonBody();

  const HttpResult merged = client_->Post("/api/v1/mpi/merge",
                                          {{"survivor", survivor},
                                           {"duplicate", duplicate},
                                           {"pair_id", pair_id},
                                           {"keep", {{"phone", "duplicate"}}}},
                                          analyst_);
  ASSERT_EQ(merged.status, 200) << merged.body;
  const std::string merge_id = merged.JsonBody()["merge"]["merge_id"];
  EXPECT_EQ(merged.JsonBody()["merge"]["moved"], 2);

  // The record moved; the duplicate now reads as the survivor; the survivor took the phone.
  EXPECT_EQ(Fhir("GET", "/fhir/Encounter/" + encounter_id).JsonBody()["subject"]["reference"],
            "Patient/" + survivor);
  const Json everything = Fhir("GET", "/fhir/Observation?subject=Patient/" + survivor).JsonBody();
  EXPECT_EQ(everything.value("total", 0), 1);
  const HttpResult followed = Fhir("GET", "/fhir/Patient/" + duplicate);
  EXPECT_EQ(followed.JsonBody()["id"], survivor);
  EXPECT_EQ(followed.JsonBody()["telecom"][0]["value"], "(413) 555-0199");
  const Json replaced = Fhir("GET", "/fhir/Patient/" + duplicate + "/_history/2").JsonBody();
  EXPECT_EQ(replaced["active"], false);
  EXPECT_EQ(replaced["link"][0]["type"], "replaced-by");
  EXPECT_EQ(Queue("merged").size(), 1u);
  // The merge is audited with the score vector.
  const Json merge_events = AuditEvents("action=patient.merge");
  ASSERT_EQ(merge_events.size(), 2u);
  EXPECT_NE(merge_events[0]["details"].dump().find("fields"), std::string::npos);
  // A replaced patient cannot be merged again.
  EXPECT_EQ(
      client_
          ->Post("/api/v1/mpi/merge", {{"survivor", duplicate}, {"duplicate", survivor}}, analyst_)
          .status,
      409);

  // Later edits: the survivor's address, and the moved observation's value.
  Json edited_survivor = Fhir("GET", "/fhir/Patient/" + survivor).JsonBody();
  edited_survivor["address"][0]["city"] = "Boston";
  ASSERT_EQ(Fhir("PUT", "/fhir/Patient/" + survivor, edited_survivor).status, 200);
  Json edited_observation = Fhir("GET", "/fhir/Observation/" + observation_id).JsonBody();
  edited_observation["valueQuantity"]["value"] = 74;
  ASSERT_EQ(Fhir("PUT", "/fhir/Observation/" + observation_id, edited_observation).status, 200);

  const HttpResult unmerged =
      client_->Post("/api/v1/mpi/merges/" + merge_id + "/unmerge", Json::object(), analyst_);
  ASSERT_EQ(unmerged.status, 200) << unmerged.body;
  EXPECT_EQ(unmerged.JsonBody()["merge"]["status"], "unmerged");
  EXPECT_EQ(
      client_->Post("/api/v1/mpi/merges/" + merge_id + "/unmerge", Json::object(), analyst_).status,
      409);

  // Both patients exactly as they were, apart from their version.
  auto without_meta = [](Json resource) {
    resource.erase("meta");
    return resource;
  };
  EXPECT_EQ(without_meta(Fhir("GET", "/fhir/Patient/" + survivor).JsonBody()),
            without_meta(survivor_before));
  EXPECT_EQ(without_meta(Fhir("GET", "/fhir/Patient/" + duplicate).JsonBody()),
            without_meta(duplicate_before));
  // The encounter is back as it was; the edited observation keeps its edit, back on the duplicate.
  EXPECT_EQ(
      without_meta(Fhir("GET", "/fhir/Encounter/" + encounter_id).JsonBody()),
      without_meta(Fhir("GET", "/fhir/Encounter/" + encounter_id + "/_history/1").JsonBody()));
  const Json observation_after = Fhir("GET", "/fhir/Observation/" + observation_id).JsonBody();
  EXPECT_EQ(observation_after["subject"]["reference"], "Patient/" + duplicate);
  EXPECT_EQ(observation_after["valueQuantity"]["value"], 74);
  // The pair is back in the queue for a fresh decision.
  EXPECT_EQ(Queue().size(), 1u);
  EXPECT_EQ(AuditEvents("action=patient.unmerge").size(), 2u);
}

TEST_P(MpiTest, NotADuplicateIsRememberedAndNeverProposedAgain) {
  const std::string a = RegisterNew(Registration("William", "Smith"));
  const std::string b = RegisterNew(Registration("Bill", "Smith"));
  const std::string pair_id = Queue()[0]["pair_id"];
  const HttpResult decided = client_->Post("/api/v1/mpi/queue/" + pair_id + "/not-duplicate",
                                           {{"note", "father and son"}}, analyst_);
  ASSERT_EQ(decided.status, 200) << decided.body;
  EXPECT_EQ(decided.JsonBody()["status"], "not_duplicate");
  EXPECT_EQ(Queue().size(), 0u);

  // Batch deduplication proposes the same pair again: the decision stands.
  auto added = server_->runtime().duplicate_queue().Propose(
      RequestContext::System("system:test", "test"), {{a, b, 30, 20, patients::Decision::kLink}});
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, 0);
  EXPECT_EQ(Queue().size(), 0u);
  EXPECT_EQ(Queue("not_duplicate").size(), 1u);

  // Overlay goes to the privacy officer.
  const std::string c = RegisterNew(Registration("Willy", "Smith"));
  (void)c;
  Json open = Queue();
  ASSERT_FALSE(open.empty());
  const std::string overlay_pair = open[0]["pair_id"];
  EXPECT_EQ(
      client_->Post("/api/v1/mpi/queue/" + overlay_pair + "/overlay", Json::object(), analyst_)
          .status,
      200);
  const HttpResult overlays = client_->Get("/api/v1/mpi/overlays", server_->TokenFor("privacy"));
  ASSERT_EQ(overlays.status, 200) << overlays.body;
  EXPECT_EQ(overlays.JsonBody()["items"].size(), 1u);
}

TEST_P(MpiTest, PatientMatchAndTheDuplicateRateReport) {
  const std::string william = RegisterNew(Registration("William", "Smith"));
  const Json parameters = {
      {"resourceType", "Parameters"},
      {"parameter",
       Json::array(
           {{{"name", "resource"},
             {"resource",
              {{"resourceType", "Patient"},
               {"name", Json::array({{{"family", "Smith"}, {"given", Json::array({"William"})}}})},
               {"gender", "male"},
               {"birthDate", "1980-03-12"},
               {"identifier", Json::array({{{"system", "http://hl7.org/fhir/sid/us-ssn"},
                                            {"value", "219-45-6781"}}})}}}}})}};
  const HttpResult match = client_->Send(
      "POST", "/fhir/Patient/$match", parameters.dump(),
      {{"Authorization", "Bearer " + registrar_}, {"Content-Type", "application/fhir+json"}});
  ASSERT_EQ(match.status, 200) << match.body;
  const Json bundle = match.JsonBody();
  EXPECT_EQ(bundle["type"], "searchset");
  ASSERT_EQ(bundle["entry"].size(), 1u);
  EXPECT_EQ(bundle["entry"][0]["resource"]["id"], william);
  EXPECT_EQ(bundle["entry"][0]["search"]["mode"], "match");
  EXPECT_GT(bundle["entry"][0]["search"]["score"].get<double>(), 0.9);
  EXPECT_EQ(bundle["entry"][0]["search"]["extension"][0]["valueCode"], "certain");
  // The candidate returned is an audited read, with its score.
  const Json shown = AuditEvents("action=patient.match&patient=" + william);
  ASSERT_EQ(shown.size(), 1u) << shown.dump();
  EXPECT_EQ(shown[0]["actor_name"], "registrar");

  RegisterNew(Registration("Bill", "Smith"));
  const HttpResult report = client_->Get("/api/v1/mpi/report?months=3", analyst_);
  ASSERT_EQ(report.status, 200) << report.body;
  const Json figures = report.JsonBody();
  EXPECT_EQ(figures["registry_size"], 2);
  EXPECT_EQ(figures["duplicates_open"], 1);
  EXPECT_DOUBLE_EQ(figures["duplicate_rate"].get<double>(), 0.5);
  ASSERT_EQ(figures["series"].size(), 3u);
  const Json month = figures["series"][2];
  EXPECT_EQ(month["registrations"], 2);
  EXPECT_EQ(month["duplicates_created"], 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, MpiTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& info) {
                           return info.param == TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace custos::testing
