// Api: what happens to every HTTP request between the socket and a handler.
//
//   request id → static file, or route → authenticate (bearer token or session cookie) →
//   RequestContext → session restrictions → permission → handler → error translation →
//   security headers → gzip → metrics.
//
// It has no networking code: HttpServer hands it complete requests (on a worker thread unless
// RunsInline) and writes back what it returns. Thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "custos/audit/read_audit.h"
#include "custos/auth/sessions.h"
#include "custos/http/metrics.h"
#include "custos/http/request.h"
#include "custos/http/router.h"
#include "custos/http/static_files.h"

namespace custos::http {

inline constexpr std::string_view kSessionCookie = "custos_session";

struct ApiOptions {
  bool secure_cookies = false;  // add `Secure` to the session cookie (behind TLS)
  size_t gzip_min_bytes = 1024;
};

class Api {
 public:
  Api(auth::SessionStore& sessions, HttpMetrics& metrics, const StaticFiles& static_files,
      ApiOptions options);
  Api(const Api&) = delete;
  Api& operator=(const Api&) = delete;

  Router& router() { return router_; }
  const Router& router() const { return router_; }
  const ApiOptions& options() const { return options_; }

  // Answers a complete request (on a worker thread). Never throws. Sets request.request_id.
  Response Handle(Request& request);
  // Answers the request if that needs no blocking work — static files, /healthz, routes marked
  // non_blocking whose session is in memory — so the I/O thread can answer it at once; nullopt
  // when it must go to Handle() on a worker.
  std::optional<Response> HandleIfNonBlocking(Request& request);

  // Errors for paths under `path_prefix` are encoded by `encoder` instead of the JSON error
  // shape (FHIR answers with OperationOutcome). Call before serving.
  using ErrorEncoder = std::function<Response(const Status&, std::string_view request_id)>;
  void SetErrorEncoder(std::string path_prefix, ErrorEncoder encoder);
  // The error response for `request`, by the encoder for its path.
  Response EncodeError(const Request& request, const Status& status) const;

  // Commit the audit events of reads through `batcher` in groups, holding each response until
  // its events are committed (Response::hold). Without one, every read commits its own events.
  // Call before serving; the batcher must outlive the server.
  void SetReadAuditBatcher(audit::AuditBatcher* batcher) { read_audit_ = batcher; }

  // The Set-Cookie value that starts (token non-empty) or ends a session.
  std::string SessionCookie(std::string_view token, int max_age_seconds) const;

 private:
  // nullopt when `may_block` is false and the request needs blocking work.
  std::optional<Response> Dispatch(Request& request, bool may_block, std::string& route_label,
                                   audit::ReadEvents& reads);
  std::optional<Response> Process(Request& request, bool may_block);
  Result<RequestContext> Authenticate(const Request& request, const Route& route, bool may_block);

  auth::SessionStore& sessions_;
  HttpMetrics& metrics_;
  const StaticFiles& static_files_;
  ApiOptions options_;
  Router router_;
  std::vector<std::pair<std::string, ErrorEncoder>> error_encoders_;
  audit::AuditBatcher* read_audit_ = nullptr;
};

}  // namespace custos::http
