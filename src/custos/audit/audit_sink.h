// AuditSink: where domain services send the audit events of their work. One method, called
// inside the transaction that does the work, so that a change and its audit record commit or
// roll back together.
#pragma once

#include "custos/audit/audit_event.h"
#include "custos/storage/database.h"

namespace custos::audit {

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Appends `event` in `tx`. A non-OK status means the caller's work must not commit.
  virtual Status Record(storage::Transaction& tx, AuditEvent event) = 0;
};

}  // namespace custos::audit
