#include "custos/http/api.h"

#include <atomic>
#include <chrono>
#include <cstdio>

#include "custos/core/crypto.h"
#include "custos/core/log.h"
#include "custos/http/error_response.h"

namespace custos::http {

namespace {

bool IsSaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  }
  return true;
}

// 16 hex digits: a random per-process prefix and a counter. Request ids must be unique, not
// secret, so they need no system call per request.
std::string NewRequestId() {
  static const std::string prefix = HexEncode(RandomBytes(3));
  static std::atomic<std::uint64_t> counter{0};
  char digits[11];
  std::snprintf(digits, sizeof digits, "%010llx",
                static_cast<unsigned long long>(counter.fetch_add(1, std::memory_order_relaxed) &
                                                0xffffffffffULL));
  return prefix + digits;
}

bool IsApiPath(std::string_view path) {
  return path.starts_with("/api/") || path == "/api" || path == "/healthz" || path == "/metrics" ||
         path.starts_with("/bench/") || path == "/fhir" || path.starts_with("/fhir/");
}

bool IsSafeMethod(std::string_view method) { return method == "GET" || method == "HEAD"; }

// "https://host:port" → "host:port"
std::string_view OriginHost(std::string_view origin) {
  const size_t scheme = origin.find("://");
  return scheme == std::string_view::npos ? origin : origin.substr(scheme + 3);
}

}  // namespace

Api::Api(auth::SessionStore& sessions, HttpMetrics& metrics, const StaticFiles& static_files,
         ApiOptions options)
    : sessions_(sessions), metrics_(metrics), static_files_(static_files), options_(options) {}

void Api::SetErrorEncoder(std::string path_prefix, ErrorEncoder encoder) {
  error_encoders_.emplace_back(std::move(path_prefix), std::move(encoder));
}

Response Api::EncodeError(const Request& request, const Status& status) const {
  for (const auto& [prefix, encoder] : error_encoders_) {
    if (request.path.starts_with(prefix)) return encoder(status, request.request_id);
  }
  if (status.reason() == "method_not_allowed") {
    return ErrorResponse(405, "method_not_allowed", status.message());
  }
  return ErrorResponse(status, request.request_id);
}

std::string Api::SessionCookie(std::string_view token, int max_age_seconds) const {
  std::string cookie =
      std::string(kSessionCookie) + "=" + std::string(token) +
      "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_seconds);
  if (options_.secure_cookies) cookie += "; Secure";
  return cookie;
}

Result<RequestContext> Api::Authenticate(const Request& request, const Route& route,
                                         bool may_block) {
  RequestContext context;
  context.source_address = request.remote_address;
  context.request_id = request.request_id;
  if (route.access == Access::kPublic) return context;

  std::string token;
  bool from_cookie = false;
  const std::string_view authorization = request.Header("authorization");
  if (authorization.size() > 7 &&
      (authorization.starts_with("Bearer ") || authorization.starts_with("bearer "))) {
    token = std::string(authorization.substr(7));
  } else {
    token = request.Cookie(kSessionCookie);
    from_cookie = !token.empty();
  }
  if (token.empty()) return Status::Unauthenticated("log in first");
  // SameSite=Strict keeps the cookie off cross-site requests; refusing a foreign Origin as well
  // protects browsers that ignore SameSite.
  if (from_cookie && !IsSafeMethod(request.method)) {
    const std::string_view origin = request.Header("origin");
    if (!origin.empty() && OriginHost(origin) != request.Header("host")) {
      return Status::PermissionDenied("cross-origin request refused");
    }
  }
  CUSTOS_ASSIGN_OR_RETURN(const auth::SessionRef session, sessions_.Authenticate(token, may_block));
  context.actor_id = session->user_id;
  context.actor_username = session->username;
  context.roles = session->roles_text;
  context.permission_bits = session->permission_bits;
  context.session_id = session->token_hash;

  if (session->restriction != auth::SessionRestriction::kNone && !route.allowed_while_restricted) {
    if (session->restriction == auth::SessionRestriction::kTotpEnrollmentRequired) {
      return Status::PermissionDenied("set up a second factor (authenticator app) before going on")
          .WithReason("totp_enrollment_required");
    }
    return Status::PermissionDenied("change your password before going on")
        .WithReason("password_change_required");
  }
  if (route.access == Access::kPermission)
    CUSTOS_RETURN_IF_ERROR(auth::Require(context, *route.permission));
  return context;
}

std::optional<Response> Api::Dispatch(Request& request, bool may_block, std::string& route_label,
                                      audit::ReadEvents& reads) {
  if (!IsApiPath(request.path)) {
    route_label = "static";
    if (!IsSafeMethod(request.method)) {
      return ErrorResponse(405, "method_not_allowed", "only GET is allowed here");
    }
    return static_files_.Serve(
        request.path, request.Header("accept-encoding").find("gzip") != std::string_view::npos,
        request.Header("if-none-match"));
  }
  // FHIR clients may write the base URL with a trailing slash (http://hl7.org/fhir/R4/http.html).
  if (request.path.size() > 5 && request.path.starts_with("/fhir/") && request.path.back() == '/') {
    request.path.pop_back();
  }
  RouteMatch match = router_.Match(request.method, request.path);
  if (!match.route) {
    route_label = "unmatched";
    if (match.path_known) {
      return EncodeError(request, Status::FailedPrecondition("method not allowed on this path")
                                      .WithReason("method_not_allowed"));
    }
    return EncodeError(request, Status::NotFound("no such endpoint"));
  }
  const Route& route = *match.route;
  if (!may_block && !route.non_blocking) return std::nullopt;
  route_label = route.pattern;
  request.path_params = std::move(match.params);
  Result<RequestContext> context = Authenticate(request, route, may_block);
  if (!context.ok()) {
    if (!may_block && context.status().reason() == auth::kWouldBlock) return std::nullopt;
    return EncodeError(request, context.status());
  }
  if (read_audit_ != nullptr) context->deferred_reads = &reads;
  Result<Response> response = route.handler(request, *context);
  if (!response.ok()) return EncodeError(request, response.status());
  return std::move(response).value();
}

std::optional<Response> Api::Process(Request& request, bool may_block) {
  const auto start = std::chrono::steady_clock::now();
  const std::string_view incoming_id = request.Header("x-request-id");
  request.request_id = IsSaneRequestId(incoming_id) ? std::string(incoming_id) : NewRequestId();

  std::string route_label = "unmatched";
  Response response;
  audit::ReadEvents reads;
  try {
    std::optional<Response> answered = Dispatch(request, may_block, route_label, reads);
    if (!answered) return std::nullopt;
    response = std::move(*answered);
  } catch (const std::exception& error) {
    response = EncodeError(request, Status::Internal(error.what()));
  }

  // What every answer carries; a deferred answer gets it when it arrives.
  const bool accepts_gzip =
      request.Header("accept-encoding").find("gzip") != std::string_view::npos;
  auto decorate = [this, accepts_gzip, is_static = route_label == "static",
                   request_id = request.request_id](Response& out) {
    out.SetHeader("X-Request-Id", request_id);
    out.SetHeader("X-Content-Type-Options", "nosniff");
    out.SetHeader("Referrer-Policy", "no-referrer");
    out.SetHeader("X-Frame-Options", "DENY");
    if (!is_static && out.Header("Cache-Control").empty()) {
      out.SetHeader("Cache-Control", "no-store");
    }
    if (out.body.size() >= options_.gzip_min_bytes && out.Header("Content-Encoding").empty() &&
        IsCompressible(out.content_type) && accepts_gzip) {
      if (auto compressed = Gzip(out.body)) {
        out.body = std::move(*compressed);
        out.SetHeader("Content-Encoding", "gzip");
        out.SetHeader("Vary", "Accept-Encoding");
      }
    }
  };
  if (response.deferred) {
    response.hold = [this, deferred = std::move(response.deferred), decorate, path = request.path,
                     request_id = request.request_id](Response::Release release) mutable {
      deferred([this, decorate, release = std::move(release), path = std::move(path),
                request_id = std::move(request_id)](Result<Response> produced) {
        Response out;
        if (produced.ok()) {
          out = std::move(produced).value();
        } else {
          Request failed_request;
          failed_request.path = path;
          failed_request.request_id = request_id;
          out = EncodeError(failed_request, produced.status());
        }
        decorate(out);
        release(std::move(out));
      });
    };
    response.deferred = nullptr;
  } else {
    decorate(response);
  }

  if (!reads.events.empty()) {
    // Released only once the reads are on the audit trail; if they cannot be recorded, the
    // client gets an error instead of the data. A deferred answer is asked for after that.
    response.hold = [this, batcher = read_audit_, events = std::move(reads.events),
                     then = std::move(response.hold), path = request.path,
                     request_id = request.request_id](Response::Release release) mutable {
      batcher->Submit(
          std::move(events),
          [this, release = std::move(release), then = std::move(then), path = std::move(path),
           request_id = std::move(request_id)](Status status) mutable {
            if (status.ok()) {
              if (then) {
                then(std::move(release));
              } else {
                release(std::nullopt);
              }
              return;
            }
            Log(LogLevel::kError, "read_audit_failed",
                {{"error", status.message()}, {"request_id", request_id}});
            Request failed_request;
            failed_request.path = path;
            failed_request.request_id = request_id;
            Response failed = EncodeError(
                failed_request,
                Status::Unavailable("the audit trail could not record this read; try again"));
            failed.SetHeader("X-Request-Id", request_id);
            failed.SetHeader("Cache-Control", "no-store");
            release(std::move(failed));
          });
    };
  }

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.ObserveRequest(request.method, route_label, response.status, seconds);
  if (response.status >= 500) {
    Log(LogLevel::kError, "http_request",
        {{"method", request.method},
         {"route", route_label},
         {"status", response.status},
         {"request_id", request.request_id}});
  } else if (LogEnabled(LogLevel::kDebug)) {
    Log(LogLevel::kDebug, "http_request",
        {{"method", request.method},
         {"route", route_label},
         {"status", response.status},
         {"request_id", request.request_id},
         {"seconds", seconds}});
  }
  return response;
}

Response Api::Handle(Request& request) { return *Process(request, /*may_block=*/true); }

std::optional<Response> Api::HandleIfNonBlocking(Request& request) {
  return Process(request, /*may_block=*/false);
}

}  // namespace custos::http
