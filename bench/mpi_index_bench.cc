// PatientIndex intake search with a million patients indexed: latency of Search for corrupted
// copies of indexed patients (a surname typo, two birth-date digits transposed, SSN and phone
// left out half the time), reported as p50/p99 in microseconds, plus indexing time and resident
// memory.
//
// Records: $CUSTOS_MPI_BENCH_RECORDS, else ../shared/data/febrl/generated/dsgen_1m.csv.gz next
// to the source tree, else a million synthetic persons.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "custos/patients/patient_index.h"

namespace custos::patients {
namespace {

constexpr size_t kSyntheticRecords = 1000000;

std::string RecordsPath() {
  if (const char* path = std::getenv("CUSTOS_MPI_BENCH_RECORDS")) return path;
  const std::filesystem::path shared =
      std::filesystem::path(CUSTOS_SOURCE_DIR) / "../shared/data/febrl/generated/dsgen_1m.csv.gz";
  return std::filesystem::exists(shared) ? shared.string() : std::string();
}

std::vector<PersonRecord> SyntheticRecords(size_t count) {
  constexpr const char* kGiven[] = {
      "james",     "mary",  "john",   "patricia", "robert", "jennifer", "michael", "linda", "david",
      "elizabeth", "sarah", "thomas", "chloe",    "oliver", "amelia",   "jack",    "isla",  "noah"};
  constexpr const char* kSyllables[] = {"ka",  "ri", "mo",  "ten", "lo", "ber", "son", "wy",  "an",
                                        "der", "ma", "chi", "ro",  "ve", "sh",  "ton", "ley", "ny"};
  constexpr const char* kStreets[] = {"main street", "high street",  "park road",
                                      "church lane", "station road", "victoria street",
                                      "king street"};
  std::mt19937_64 random(42);
  auto pick = [&](size_t n) { return static_cast<size_t>(random() % n); };
  std::vector<PersonRecord> records(count);
  for (size_t i = 0; i < count; ++i) {
    PersonRecord& r = records[i];
    r.id = "syn-" + std::to_string(i);
    r.given_name = kGiven[pick(std::size(kGiven))];
    for (int s = 0; s < 3; ++s) r.surname += kSyllables[pick(std::size(kSyllables))];
    char dob[9];
    std::snprintf(dob, sizeof dob, "%04zu%02zu%02zu", 1920 + pick(100), 1 + pick(12), 1 + pick(28));
    r.date_of_birth = dob;
    r.street_number = std::to_string(1 + pick(200));
    r.address_1 = kStreets[pick(std::size(kStreets))];
    r.suburb =
        std::string(kSyllables[pick(std::size(kSyllables))]) + "ville" + std::to_string(pick(300));
    r.postcode = std::to_string(2000 + pick(7000));
    r.ssn = std::to_string(1000000 + pick(9000000));
    r.phone = "0" + std::to_string(200000000 + pick(700000000));
  }
  return records;
}

long ResidentKilobytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

PersonRecord Corrupt(PersonRecord record, std::mt19937_64& random) {
  record.id.clear();
  if (record.surname.size() > 3) {
    record.surname[1 + random() % (record.surname.size() - 2)] =
        static_cast<char>('a' + random() % 26);
  }
  if (record.date_of_birth.size() == 8) {
    const size_t at = 4 + random() % 3;  // within month and day
    std::swap(record.date_of_birth[at], record.date_of_birth[at + 1]);
  }
  if (random() % 2 == 0) record.ssn.clear();
  if (random() % 2 == 0) record.phone.clear();
  return record;
}

struct Fixture {
  std::vector<PersonRecord> queries;
  std::unique_ptr<PatientIndex> index;
  double index_seconds = 0;
  long index_kilobytes = 0;
  size_t records = 0;

  Fixture() {
    const long before = ResidentKilobytes();
    std::vector<PersonRecord> records_read;
    const std::string path = RecordsPath();
    if (!path.empty()) {
      auto read = ReadPersonCsv(path);
      CUSTOS_CHECK(read.ok());
      records_read = std::move(read).value();
      std::cerr << "indexing " << path << "\n";
    } else {
      records_read = SyntheticRecords(kSyntheticRecords);
      std::cerr << "indexing synthetic persons\n";
    }
    records = records_read.size();
    std::mt19937_64 random(7);
    for (size_t i = 0; i < 20000; ++i) {
      queries.push_back(Corrupt(records_read[random() % records_read.size()], random));
    }
    const auto start = std::chrono::steady_clock::now();
    index = std::make_unique<PatientIndex>(DefaultModel());
    for (const PersonRecord& record : records_read) index->Upsert(record);
    index_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    records_read.clear();
    records_read.shrink_to_fit();
    index_kilobytes = ResidentKilobytes() - before;
  }
};

Fixture& SharedFixture() {
  static Fixture fixture;
  return fixture;
}

void BM_PatientIndexSearch(benchmark::State& state) {
  Fixture& fixture = SharedFixture();
  std::vector<double> micros;
  micros.reserve(fixture.queries.size());
  size_t next = 0;
  size_t found = 0;
  for (auto _ : state) {
    const PersonRecord& query = fixture.queries[next++ % fixture.queries.size()];
    const auto start = std::chrono::steady_clock::now();
    auto candidates = fixture.index->Search(query, 10);
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
    found += !candidates.empty() && candidates[0].decision == Decision::kLink;
    benchmark::DoNotOptimize(candidates);
  }
  std::sort(micros.begin(), micros.end());
  auto percentile = [&](double p) {
    return micros.empty() ? 0 : micros[static_cast<size_t>(p * (micros.size() - 1))];
  };
  state.counters["records"] = static_cast<double>(fixture.records);
  state.counters["p50_us"] = percentile(0.50);
  state.counters["p99_us"] = percentile(0.99);
  state.counters["max_us"] = micros.empty() ? 0 : micros.back();
  state.counters["top_linked"] = static_cast<double>(found) / static_cast<double>(micros.size());
  state.counters["index_s"] = fixture.index_seconds;
  state.counters["index_MB"] = static_cast<double>(fixture.index_kilobytes) / 1024;
}
BENCHMARK(BM_PatientIndexSearch)->Iterations(20000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace custos::patients

BENCHMARK_MAIN();
