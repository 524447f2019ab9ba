// Audit appends per second inside transactions (SQLite file in WAL mode, as `custos serve` uses).
// Each iteration is one transaction holding `events per transaction` appends; items/s counts
// events.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "custos/audit/audit_trail.h"
#include "custos/storage/migrations.h"
#include "custos/storage/sqlite/sqlite_database.h"

namespace custos {
namespace {

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<audit::AuditTrail> trail;
  SystemClock clock;

  Fixture() {
    dir = std::filesystem::temp_directory_path() /
          ("custos-audit-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    database = std::move(storage::OpenSqliteDatabase({(dir / "bench.db").string(), 2}).value());
    CUSTOS_CHECK(storage::Migrate(*database).ok());
    auto signer = audit::CheckpointSigner::LoadOrCreate((dir / "key").string());
    trail = std::make_unique<audit::AuditTrail>(
        clock, std::shared_ptr<audit::CheckpointSigner>(std::move(*signer)),
        audit::AuditTrailOptions{1000, ""});
  }
  ~Fixture() {
    trail.reset();
    database.reset();
    std::filesystem::remove_all(dir);
  }
};

void BM_AuditAppend(benchmark::State& state) {
  Fixture fixture;
  const int per_transaction = static_cast<int>(state.range(0));
  RequestContext context = RequestContext::System("bench", "127.0.0.1");
  context.request_id = "0123456789abcdef";
  std::int64_t n = 0;
  for (auto _ : state) {
    auto tx = fixture.database->Begin();
    for (int i = 0; i < per_transaction; ++i) {
      ++n;
      auto event = audit::AuditEvent::For(context, "patient.read", "Patient", std::to_string(n))
                       .WithPatient("p" + std::to_string(n % 1000))
                       .WithDetails({{"fields", "demographics"}});
      CUSTOS_CHECK(fixture.trail->Record(**tx, std::move(event)).ok());
    }
    CUSTOS_CHECK((*tx)->Commit().ok());
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_AuditAppend)
    ->ArgName("events_per_transaction")
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->UseRealTime();

}  // namespace
}  // namespace custos

BENCHMARK_MAIN();
