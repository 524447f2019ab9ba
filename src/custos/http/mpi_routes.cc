#include "custos/http/mpi_routes.h"

#include <charconv>

namespace custos::http {
namespace {

using auth::Permission;

Route MpiRoute(std::string method, std::string pattern, Permission permission, std::string summary,
               Handler handler) {
  Route route;
  route.method = std::move(method);
  route.pattern = std::move(pattern);
  route.access = Access::kPermission;
  route.permission = permission;
  route.tag = "patients";
  route.summary = std::move(summary);
  route.handler = std::move(handler);
  return route;
}

Json RegistrationSchema() {
  Json text = {{"type", "string"}};
  return {
      {"type", "object"},
      {"properties",
       {{"facility", text},
        {"name",
         {{"type", "object"},
          {"properties", {{"given", text}, {"middle", text}, {"family", text}, {"suffix", text}}}}},
        {"previous_names", {{"type", "array"}, {"items", {{"type", "object"}}}}},
        {"preferred_name", text},
        {"birth_date", {{"type", "string"}, {"format", "date"}}},
        {"sex", {{"type", "string"}, {"enum", {"male", "female", "other", "unknown"}}}},
        {"ssn", text},
        {"address", {{"type", "object"}}},
        {"phone", text},
        {"email", text},
        {"identifiers", {{"type", "array"}, {"items", {{"type", "object"}}}}},
        {"coverage", {{"type", "array"}, {"items", {{"type", "object"}}}}},
        {"confirm_new_person", {{"type", "boolean"}}}}}};
}

Json CandidatesJson(const std::vector<patients::MatchCandidate>& candidates) {
  Json list = Json::array();
  for (const auto& candidate : candidates) list.push_back(patients::CandidateJson(candidate));
  return list;
}

Result<std::string> NoteFrom(const Request& request) {
  if (request.body.empty()) return std::string();
  CUSTOS_ASSIGN_OR_RETURN(Json body, ParseJsonObject(request.body));
  CUSTOS_ASSIGN_OR_RETURN(auto note, OptionalString(body, "note"));
  return note.value_or("");
}

void AddRegistrationRoutes(Api& api, MpiServices& s) {
  Route match = MpiRoute(
      "POST", "/api/v1/patients/match", Permission::kPatientsRead,
      "Search before create: existing patients who may be this person, with why",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(Json body, ParseJsonObject(request.body));
        CUSTOS_ASSIGN_OR_RETURN(
            patients::Registration registration,
            patients::ParseRegistration(body, patients::RegistrationUse::kMatch, s.clock.Now()));
        CUSTOS_ASSIGN_OR_RETURN(auto candidates, s.registry.Match(context, registration));
        return Response::FromJson(200, {{"candidates", CandidatesJson(candidates)}});
      });
  match.request_schema = RegistrationSchema();
  api.router().Add(std::move(match));

  Route registration_route = MpiRoute(
      "POST", "/api/v1/patients", Permission::kPatientsRegister,
      "Register a patient (409 possible_duplicate unless confirm_new_person)",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(Json body, ParseJsonObject(request.body));
        CUSTOS_ASSIGN_OR_RETURN(
            patients::Registration registration,
            patients::ParseRegistration(body, patients::RegistrationUse::kRegister, s.clock.Now()));
        CUSTOS_ASSIGN_OR_RETURN(auto result, s.registry.Register(context, registration));
        if (!result.patient) {
          return Response::FromJson(
              409, {{"error",
                     {{"code", "possible_duplicate"},
                      {"message",
                       "this person may already be registered; confirm that this is a new person "
                       "to create the patient anyway"},
                      {"field", "confirm_new_person"}}},
                    {"candidates", CandidatesJson(result.candidates)}});
        }
        const std::string id = (*result.patient)["patient_id"].get<std::string>();
        Response response = Response::FromJson(201, {{"patient", *result.patient}});
        response.SetHeader("Location", "/fhir/Patient/" + id);
        return response;
      });
  registration_route.request_schema = RegistrationSchema();
  api.router().Add(std::move(registration_route));

  api.router().Add(MpiRoute(
      "GET", "/api/v1/patients/{id}", Permission::kPatientsRead, "A patient's summary",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(Json summary,
                                s.registry.Summary(context, std::string(request.PathParam("id"))));
        return Response::FromJson(200, summary);
      }));
}

void AddQueueRoutes(Api& api, MpiServices& s) {
  Route list = MpiRoute(
      "GET", "/api/v1/mpi/queue", Permission::kPatientsMerge, "The duplicate work queue",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        patients::QueueQuery query;
        if (auto status = request.QueryParam("status"); status && !status->empty()) {
          query.status = *status;
        }
        if (auto sort = request.QueryParam("sort"); sort && !sort->empty()) query.sort = *sort;
        CUSTOS_ASSIGN_OR_RETURN(query.limit, request.IntQueryParam("limit", 50, 1, 500));
        query.cursor = request.QueryParam("cursor").value_or("");
        CUSTOS_ASSIGN_OR_RETURN(patients::QueuePage page, s.queue.List(context, query));
        return Response::FromJson(
            200, {{"items", page.items},
                  {"next_cursor", page.next_cursor ? Json(*page.next_cursor) : Json(nullptr)}});
      });
  list.query_parameters = Json::array(
      {{{"name", "status"}, {"description", "open, deferred, overlay, not_duplicate or merged"}},
       {{"name", "sort"}, {"description", "score, age or facility"}},
       {{"name", "limit"}, {"description", "page size, 1-500"}},
       {{"name", "cursor"}, {"description", "next_cursor of the previous page"}}});
  api.router().Add(std::move(list));

  api.router().Add(
      MpiRoute("GET", "/api/v1/mpi/queue/{pair_id}", Permission::kPatientsMerge,
               "One pair, side by side, with the weights",
               [&s](const Request& request, const RequestContext& context) -> Result<Response> {
                 CUSTOS_ASSIGN_OR_RETURN(
                     Json item, s.queue.Get(context, std::string(request.PathParam("pair_id"))));
                 return Response::FromJson(200, item);
               }));

  for (const auto& [path, action, summary] :
       {std::tuple{"not-duplicate", "not_duplicate", "Not a duplicate (never proposed again)"},
        std::tuple{"defer", "defer", "Defer the decision"},
        std::tuple{"overlay", "overlay",
                   "Two people in one record: route to the privacy officer"}}) {
    Route route = MpiRoute(
        "POST", std::string("/api/v1/mpi/queue/{pair_id}/") + path, Permission::kPatientsMerge,
        summary,
        [&s, action = std::string(action)](const Request& request,
                                           const RequestContext& context) -> Result<Response> {
          CUSTOS_ASSIGN_OR_RETURN(std::string note, NoteFrom(request));
          CUSTOS_ASSIGN_OR_RETURN(
              Json item,
              s.queue.Decide(context, std::string(request.PathParam("pair_id")), action, note));
          return Response::FromJson(200, item);
        });
    route.request_schema = {{"type", "object"}, {"properties", {{"note", {{"type", "string"}}}}}};
    api.router().Add(std::move(route));
  }

  Route overlays =
      MpiRoute("GET", "/api/v1/mpi/overlays", Permission::kAuditRead,
               "Records flagged as two people in one (privacy officer)",
               [&s](const Request&, const RequestContext& context) -> Result<Response> {
                 CUSTOS_ASSIGN_OR_RETURN(auto items, s.queue.Overlays(context));
                 return Response::FromJson(200, {{"items", items}});
               });
  api.router().Add(std::move(overlays));

  Route report =
      MpiRoute("GET", "/api/v1/mpi/report", Permission::kPatientsMerge,
               "Duplicate rate and creation rate by month (AHIMA)",
               [&s](const Request& request, const RequestContext& context) -> Result<Response> {
                 CUSTOS_ASSIGN_OR_RETURN(int months, request.IntQueryParam("months", 12, 1, 120));
                 CUSTOS_ASSIGN_OR_RETURN(Json report, s.queue.Report(context, months));
                 return Response::FromJson(200, report);
               });
  report.query_parameters =
      Json::array({{{"name", "months"}, {"description", "how many months back, 1-120"}}});
  api.router().Add(std::move(report));
}

void AddMergeRoutes(Api& api, MpiServices& s) {
  Route merge = MpiRoute(
      "POST", "/api/v1/mpi/merge", Permission::kPatientsMerge,
      "Merge a duplicate into the surviving patient",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(Json body, ParseJsonObject(request.body));
        patients::MergeRequest merge_request;
        CUSTOS_ASSIGN_OR_RETURN(merge_request.survivor, RequiredString(body, "survivor"));
        CUSTOS_ASSIGN_OR_RETURN(merge_request.duplicate, RequiredString(body, "duplicate"));
        CUSTOS_ASSIGN_OR_RETURN(auto pair_id, OptionalString(body, "pair_id"));
        merge_request.pair_id = pair_id.value_or("");
        if (auto keep = body.find("keep"); keep != body.end() && !keep->is_null()) {
          if (!keep->is_object()) return Status::InvalidArgument("keep must be an object", "keep");
          for (auto it = keep->begin(); it != keep->end(); ++it) {
            if (!it->is_string()) {
              return Status::InvalidArgument("keep." + it.key() + " must be survivor or duplicate",
                                             "keep." + it.key());
            }
            merge_request.keep[it.key()] = it->get<std::string>();
          }
        }
        CUSTOS_ASSIGN_OR_RETURN(Json merged, s.merger.Merge(context, merge_request));
        return Response::FromJson(200, {{"merge", merged}});
      });
  merge.request_schema = {{"type", "object"},
                          {"properties",
                           {{"survivor", {{"type", "string"}}},
                            {"duplicate", {{"type", "string"}}},
                            {"pair_id", {{"type", "string"}}},
                            {"keep", {{"type", "object"}}}}},
                          {"required", {"survivor", "duplicate"}}};
  api.router().Add(std::move(merge));

  Route merges = MpiRoute(
      "GET", "/api/v1/mpi/merges", Permission::kPatientsMerge, "Merges, newest first",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(auto items,
                                s.merger.List(context, request.QueryParam("patient").value_or("")));
        return Response::FromJson(200, {{"items", items}});
      });
  merges.query_parameters =
      Json::array({{{"name", "patient"}, {"description", "only merges involving this patient"}}});
  api.router().Add(std::move(merges));

  api.router().Add(MpiRoute(
      "POST", "/api/v1/mpi/merges/{merge_id}/unmerge", Permission::kPatientsMerge,
      "Undo a merge: both patients and every moved resource as they were",
      [&s](const Request& request, const RequestContext& context) -> Result<Response> {
        CUSTOS_ASSIGN_OR_RETURN(
            Json merge, s.merger.Unmerge(context, std::string(request.PathParam("merge_id"))));
        return Response::FromJson(200, {{"merge", merge}});
      }));
}

}  // namespace

void AddMpiRoutes(Api& api, MpiServices& services) {
  AddRegistrationRoutes(api, services);
  AddQueueRoutes(api, services);
  AddMergeRoutes(api, services);
}

}  // namespace custos::http
