// The master patient index routes under /api/v1 (docs/API.md, "Master patient index"): thin
// handlers over patients::Registry, DuplicateQueue and Merger.
#pragma once

#include "custos/http/api.h"
#include "custos/patients/duplicate_queue.h"
#include "custos/patients/merge.h"
#include "custos/patients/registry.h"

namespace custos::http {

struct MpiServices {
  patients::Registry& registry;
  patients::DuplicateQueue& queue;
  patients::Merger& merger;
  const Clock& clock;
};

// Registers the routes on api.router(). `services` must outlive `api`.
void AddMpiRoutes(Api& api, MpiServices& services);

}  // namespace custos::http
