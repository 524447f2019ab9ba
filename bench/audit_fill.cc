// audit_fill DATA_DIR N: appends N audit events through the real AuditTrail (hash chain and signed
// checkpoints) into DATA_DIR's database, for `custos audit verify` benchmarks.
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "custos/server/runtime.h"

int main(int argc, char** argv) {
  using namespace custos;
  if (argc != 3) {
    std::cerr << "usage: audit_fill DATA_DIR N\n";
    return 2;
  }
  auto config = LoadConfig("", {{"storage.data_dir", argv[1]}});
  auto runtime = server::Runtime::Open(*config);
  if (!runtime.ok()) {
    std::cerr << runtime.status().ToString() << "\n";
    return 2;
  }
  const long total = std::atol(argv[2]);
  RequestContext context = RequestContext::System("bench", "127.0.0.1");
  context.request_id = "0123456789abcdef";
  long written = 0;
  while (written < total) {
    auto tx = (*runtime)->database().Begin();
    for (int i = 0; i < 10000 && written < total; ++i, ++written) {
      auto event =
          audit::AuditEvent::For(context, "patient.read", "Patient", std::to_string(written))
              .WithPatient("p" + std::to_string(written % 1000))
              .WithDetails({{"fields", "demographics"}});
      if (!(*runtime)->audit_trail().Record(**tx, std::move(event)).ok()) return 2;
    }
    if (!(*tx)->Commit().ok()) return 2;
  }
  if (!(*runtime)->audit_trail().WriteCheckpoint((*runtime)->database()).ok()) return 2;
  std::cout << "wrote " << written << " audit events\n";
  return 0;
}
