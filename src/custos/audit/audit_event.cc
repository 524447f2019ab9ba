#include "custos/audit/audit_event.h"

#include "custos/core/crypto.h"

namespace custos::audit {

AuditEvent AuditEvent::For(const RequestContext& context, std::string action,
                           std::string object_type, std::string object_id) {
  AuditEvent event;
  event.actor = context.actor_id;
  event.actor_name = context.actor_username;
  event.role = context.roles;
  event.action = std::move(action);
  event.object_type = std::move(object_type);
  event.object_id = std::move(object_id);
  event.purpose_of_use = context.purpose_of_use;
  event.source_address = context.source_address;
  event.request_id = context.request_id;
  return event;
}

Json AuditEvent::ToJson() const {
  Json json = {
      {"sequence", sequence},
      {"time", FormatTimestamp(time)},
      {"actor", actor},
      {"actor_name", actor_name},
      {"role", role},
      {"action", action},
      {"object_type", object_type},
      {"object_id", object_id},
      {"patient_id", patient_id ? Json(*patient_id) : Json(nullptr)},
      {"purpose_of_use", purpose_of_use},
      {"outcome", outcome},
      {"source_address", source_address},
      {"request_id", request_id},
      {"prev_hash", prev_hash},
      {"hash", hash},
  };
  Json parsed = Json::parse(details, nullptr, false);
  json["details"] = parsed.is_discarded() ? Json(details) : parsed;
  return json;
}

namespace {
void AppendNetstring(std::string_view field, std::string& out) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ',';
}
}  // namespace

void AppendCanonicalEncoding(const EventFieldViews& f, std::string& out) {
  AppendNetstring(f.sequence, out);
  AppendNetstring(f.time, out);
  AppendNetstring(f.actor, out);
  AppendNetstring(f.actor_name, out);
  AppendNetstring(f.role, out);
  AppendNetstring(f.action, out);
  AppendNetstring(f.object_type, out);
  AppendNetstring(f.object_id, out);
  // A missing patient id and an empty one must not hash alike.
  if (f.patient_id) {
    AppendNetstring(*f.patient_id, out);
  } else {
    out += "-,";
  }
  AppendNetstring(f.purpose_of_use, out);
  AppendNetstring(f.outcome, out);
  AppendNetstring(f.source_address, out);
  AppendNetstring(f.request_id, out);
  AppendNetstring(f.details, out);
  AppendNetstring(f.prev_hash, out);
}

std::string ComputeEventHash(const AuditEvent& event) {
  const std::string sequence = std::to_string(event.sequence);
  const std::string time = FormatTimestamp(event.time);
  EventFieldViews fields{sequence,          time,
                         event.actor,       event.actor_name,
                         event.role,        event.action,
                         event.object_type, event.object_id,
                         std::nullopt,      event.purpose_of_use,
                         event.outcome,     event.source_address,
                         event.request_id,  event.details,
                         event.prev_hash};
  if (event.patient_id) fields.patient_id = *event.patient_id;
  std::string encoding;
  AppendCanonicalEncoding(fields, encoding);
  return HexEncode(Sha256(encoding));
}

}  // namespace custos::audit
