#include "custos/auth/audit_review.h"

#include "custos/auth/permissions.h"

namespace custos::auth {

namespace {

void AppendCsvField(std::string_view value, std::string& out) {
  // Quote always; double embedded quotes. A leading = + - @ would make spreadsheets run a formula.
  out += '"';
  if (!value.empty() && (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@'))
    out += '\'';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

Json FilterToJson(const audit::AuditFilter& filter) {
  Json json = Json::object();
  if (filter.actor_name) json["actor"] = *filter.actor_name;
  if (filter.patient_id) json["patient"] = *filter.patient_id;
  if (filter.action) json["action"] = *filter.action;
  if (filter.object_type) json["object_type"] = *filter.object_type;
  if (filter.object_id) json["object_id"] = *filter.object_id;
  if (filter.outcome) json["outcome"] = *filter.outcome;
  if (filter.from) json["from"] = FormatTimestamp(*filter.from);
  if (filter.to) json["to"] = FormatTimestamp(*filter.to);
  return json;
}

AuditReview::AuditReview(storage::Database& database, audit::AuditTrail& trail, const Clock& clock,
                         audit::VerifyOptions verify_options)
    : database_(database),
      trail_(trail),
      clock_(clock),
      verify_options_(std::move(verify_options)) {}

Result<audit::AuditPage> AuditReview::Search(const RequestContext& context,
                                             const audit::AuditFilter& filter) {
  CUSTOS_RETURN_IF_ERROR(Require(context, Permission::kAuditRead));
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  CUSTOS_ASSIGN_OR_RETURN(audit::AuditPage page, trail_.Search(*tx, filter));
  CUSTOS_RETURN_IF_ERROR(trail_.Record(
      *tx, audit::AuditEvent::For(context, "audit.query", "audit", "")
               .WithDetails({{"filter", FilterToJson(filter)}, {"returned", page.events.size()}})));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return page;
}

Result<std::string> AuditReview::ExportCsv(const RequestContext& context,
                                           const audit::AuditFilter& filter) {
  CUSTOS_RETURN_IF_ERROR(Require(context, Permission::kAuditRead));
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  std::string csv =
      "sequence,time,actor,actor_name,role,action,object_type,object_id,patient_id,purpose_of_use,"
      "outcome,"
      "source_address,request_id,details,prev_hash,hash\r\n";
  std::int64_t rows = 0;
  CUSTOS_RETURN_IF_ERROR(trail_.ForEach(*tx, filter, [&](const audit::AuditEvent& event) {
    ++rows;
    const std::string fields[] = {std::to_string(event.sequence),
                                  FormatTimestamp(event.time),
                                  event.actor,
                                  event.actor_name,
                                  event.role,
                                  event.action,
                                  event.object_type,
                                  event.object_id,
                                  event.patient_id.value_or(""),
                                  event.purpose_of_use,
                                  event.outcome,
                                  event.source_address,
                                  event.request_id,
                                  event.details,
                                  event.prev_hash,
                                  event.hash};
    bool first = true;
    for (const auto& field : fields) {
      if (!first) csv += ',';
      first = false;
      AppendCsvField(field, csv);
    }
    csv += "\r\n";
  }));
  CUSTOS_RETURN_IF_ERROR(
      trail_.Record(*tx, audit::AuditEvent::For(context, "audit.export", "audit", "")
                             .WithDetails({{"filter", FilterToJson(filter)}, {"rows", rows}})));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return csv;
}

Result<audit::VerifyReport> AuditReview::Verify(const RequestContext& context) {
  CUSTOS_RETURN_IF_ERROR(Require(context, Permission::kAuditRead));
  CUSTOS_ASSIGN_OR_RETURN(audit::VerifyReport report,
                          audit::AuditTrail::Verify(database_, verify_options_));
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin());
  Json details = {{"ok", report.ok}, {"events_checked", report.events_checked}};
  if (report.first_bad_sequence) details["first_bad_sequence"] = *report.first_bad_sequence;
  CUSTOS_RETURN_IF_ERROR(
      trail_.Record(*tx, audit::AuditEvent::For(context, "audit.verify", "audit", "")
                             .WithOutcome(report.ok ? audit::kSuccess : audit::kFailure)
                             .WithDetails(details)));
  CUSTOS_RETURN_IF_ERROR(tx->Commit());
  return report;
}

Result<AuditCounts> AuditReview::Counts(const RequestContext& context) {
  CUSTOS_RETURN_IF_ERROR(Require(context, Permission::kAuditRead));
  AuditCounts counts;
  CUSTOS_ASSIGN_OR_RETURN(auto tx, database_.Begin(storage::TransactionMode::kReadOnly));
  CUSTOS_ASSIGN_OR_RETURN(counts.audit_events_total, audit::AuditTrail::Length(*tx));
  audit::AuditFilter last_day;
  last_day.from = clock_.Now() - std::chrono::hours(24);
  CUSTOS_ASSIGN_OR_RETURN(counts.audit_events_24h, trail_.Count(*tx, last_day));
  return counts;
}

}  // namespace custos::auth
