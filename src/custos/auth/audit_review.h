// AuditReview: the auditor's and privacy officer's view of the audit trail — search, export and
// verification (HIM_RULES.md SEC-03). Every look at the trail is itself audited. Needs the
// permission audit.read. Thread-safe.
#pragma once

#include <string>

#include "custos/audit/audit_trail.h"
#include "custos/core/clock.h"
#include "custos/core/request_context.h"
#include "custos/storage/database.h"

namespace custos::auth {

struct AuditCounts {
  std::int64_t audit_events_total = 0;
  std::int64_t audit_events_24h = 0;
};

class AuditReview {
 public:
  AuditReview(storage::Database& database, audit::AuditTrail& trail, const Clock& clock,
              audit::VerifyOptions verify_options);

  Result<audit::AuditPage> Search(const RequestContext& context, const audit::AuditFilter& filter);
  // Every matching event as CSV (RFC 4180), newest first, with a header row.
  Result<std::string> ExportCsv(const RequestContext& context, const audit::AuditFilter& filter);
  Result<audit::VerifyReport> Verify(const RequestContext& context);
  Result<AuditCounts> Counts(const RequestContext& context);

 private:
  storage::Database& database_;
  audit::AuditTrail& trail_;
  const Clock& clock_;
  audit::VerifyOptions verify_options_;
};

// The filter as JSON, for the details of audit.query events.
Json FilterToJson(const audit::AuditFilter& filter);

}  // namespace custos::auth
