// AuditSink: where domain services send the audit events of their work. One method, called
// inside the transaction that does the work, so that a change and its audit record commit or
// roll back together.
#pragma once

#include <vector>

#include "custos/audit/audit_event.h"
#include "custos/storage/database.h"

namespace custos::audit {

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  // Appends `event` in `tx`. A non-OK status means the caller's work must not commit.
  virtual Status Record(storage::Transaction& tx, AuditEvent event) = 0;
  // Appends every event, in order (and fills in what Record assigns). Sinks that can write many
  // at once override it.
  virtual Status RecordAll(storage::Transaction& tx, std::vector<AuditEvent>& events) {
    for (auto& event : events) CUSTOS_RETURN_IF_ERROR(Record(tx, event));
    return Status::Ok();
  }
};

}  // namespace custos::audit
