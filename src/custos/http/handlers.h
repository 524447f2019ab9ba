// The /api/v1 routes (and /healthz, /metrics): thin handlers that decode a request, call a
// domain service with the caller's RequestContext, and encode the answer (docs/API.md).
#pragma once

#include <string>

#include "custos/audit/audit_trail.h"
#include "custos/auth/accounts.h"
#include "custos/auth/audit_review.h"
#include "custos/http/api.h"
#include "custos/storage/database.h"

namespace custos::http {

struct ServerInfo {
  std::string version;
  bool demo_mode = false;
  bool require_admin_totp = true;
  std::string backend;
  int session_lifetime_seconds = 12 * 3600;
  int idle_timeout_seconds = 900;
  bool bench_routes = false;
};

struct ApiServices {
  auth::Accounts& accounts;
  auth::AuditReview& audit_review;
  storage::Database& database;
  HttpMetrics& metrics;
  ServerInfo info;
};

// Registers every route on api.router(). `services` must outlive `api`.
void AddRoutes(Api& api, ApiServices& services);

}  // namespace custos::http
