// RequestContext: who is asking, in which role, for what purpose, from where. Built by an
// interface (HTTP, FHIR, HL7, CLI) after authentication and passed to every domain service, which
// checks permissions against it and copies it into the audit events it writes.
#pragma once

#include <cstdint>
#include <string>

namespace custos {

namespace audit {
struct ReadEvents;
}

struct RequestContext {
  std::string actor_id;        // user id; "cli:<os user>" or "system:<job>" for non-users
  std::string actor_username;  // for people reading the audit trail
  std::string roles;           // the actor's roles, comma-separated, as recorded in audit events
  std::uint64_t permission_bits = 0;  // bit i set = auth::Permission with value i granted
  // HL7 v3 PurposeOfUse code (TREAT, HOPERAT, PATRQT, ETREAT, ...); recorded on every audit event.
  std::string purpose_of_use = "HOPERAT";
  std::string source_address;  // the client's IP address, or "cli"
  std::string request_id;
  std::string session_id;  // hash of the session token; empty outside a session
  // When set, services put the audit events of their reads here (audit::RecordRead) and the
  // interface commits them together with other requests' before it answers
  // (audit::AuditBatcher). Null: each read commits its own events before returning.
  audit::ReadEvents* deferred_reads = nullptr;

  // A context for operator tools and background jobs that act with every permission.
  static RequestContext System(std::string actor, std::string source) {
    RequestContext context;
    context.actor_id = actor;
    context.actor_username = std::move(actor);
    context.roles = "system";
    context.permission_bits = ~std::uint64_t{0};
    context.source_address = std::move(source);
    return context;
  }
};

}  // namespace custos
