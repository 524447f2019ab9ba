// AuditEvent: one entry of the audit trail (HIM_RULES.md SEC-01; ASTM E2147 fields).
//
// Each event is hashed over a canonical encoding of all its fields plus the hash of the event
// before it, so that any edit, deletion, reordering or truncation of the stored trail shows up
// in verification (SEC-02). The encoding is a sequence of netstrings ("<length>:<bytes>,") in
// the field order below; `details` is hashed as the exact JSON text that is stored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "custos/core/clock.h"
#include "custos/core/json.h"
#include "custos/core/request_context.h"

namespace custos::audit {

// Outcomes, after FHIR AuditEvent.outcome reduced to what HIM reports ask for.
inline constexpr std::string_view kSuccess = "success";
inline constexpr std::string_view kFailure = "failure";

// The hash that the first event chains to.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

struct AuditEvent {
  std::int64_t sequence = 0;  // assigned by AuditTrail: 1, 2, 3, … without gaps
  Timestamp time{};           // assigned by AuditTrail
  std::string actor;          // user id, or "cli:<os user>", "system:<job>"
  std::string actor_name;     // username at the time of the event
  std::string role;           // the actor's roles, comma-separated
  std::string action;         // "auth.login", "user.create", "patient.read", …
  std::string object_type;    // "user", "session", "Patient", "audit", …
  std::string object_id;
  std::optional<std::string> patient_id;  // set whenever the event touches a patient's data
  std::string purpose_of_use;             // HL7 v3 PurposeOfUse
  std::string outcome{kSuccess};
  std::string source_address;
  std::string request_id;
  std::string details = "{}";  // a JSON object as text; never secrets
  std::string prev_hash;       // assigned by AuditTrail
  std::string hash;            // assigned by AuditTrail

  // An event for `action` on an object, taking who/where/why from the request.
  static AuditEvent For(const RequestContext& context, std::string action, std::string object_type,
                        std::string object_id);
  AuditEvent& WithPatient(std::string id) {
    patient_id = std::move(id);
    return *this;
  }
  AuditEvent& WithOutcome(std::string_view value) {
    outcome = value;
    return *this;
  }
  AuditEvent& WithDetails(const Json& value) {
    details = value.dump();
    return *this;
  }

  Json ToJson() const;
};

// The stored text of an event's fields, in canonical order (hash excluded). Verification reads
// these straight from database rows without building AuditEvents.
struct EventFieldViews {
  std::string_view sequence, time, actor, actor_name, role, action, object_type, object_id;
  std::optional<std::string_view> patient_id;
  std::string_view purpose_of_use, outcome, source_address, request_id, details, prev_hash;
};
// Appends the canonical encoding of the fields to `out`.
void AppendCanonicalEncoding(const EventFieldViews& fields, std::string& out);
// Hex SHA-256 of the canonical encoding.
std::string ComputeEventHash(const AuditEvent& event);

}  // namespace custos::audit
