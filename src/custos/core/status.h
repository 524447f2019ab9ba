// Status and Result<T>: errors as values at module boundaries.
//
// A Status is OK or carries a StatusCode (the category every interface knows how to translate:
// HTTP status, FHIR OperationOutcome, HL7 ACK), a human message, an optional `field` naming the
// input at fault, and an optional machine-readable `reason` ("invalid_credentials",
// "account_locked") that refines the category for API clients. Status never holds patient data in
// its message when it may be logged; callers write messages for the person who made the request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace custos {

enum class StatusCode : std::uint8_t {
  kOk,
  kInvalidArgument,
  kNotFound,
  kConflict,
  kFailedPrecondition,
  kUnauthenticated,
  kPermissionDenied,
  kResourceExhausted,
  kUnavailable,
  kInternal,
};

// The snake_case name of a code ("invalid_argument"); the default machine-readable reason.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string message, std::string field = {}) {
    return Status(StatusCode::kInvalidArgument, std::move(message), std::move(field));
  }
  static Status NotFound(std::string message) {
    return Status(StatusCode::kNotFound, std::move(message));
  }
  static Status Conflict(std::string message, std::string field = {}) {
    return Status(StatusCode::kConflict, std::move(message), std::move(field));
  }
  static Status FailedPrecondition(std::string message) {
    return Status(StatusCode::kFailedPrecondition, std::move(message));
  }
  static Status Unauthenticated(std::string message) {
    return Status(StatusCode::kUnauthenticated, std::move(message));
  }
  static Status PermissionDenied(std::string message) {
    return Status(StatusCode::kPermissionDenied, std::move(message));
  }
  static Status ResourceExhausted(std::string message) {
    return Status(StatusCode::kResourceExhausted, std::move(message));
  }
  static Status Unavailable(std::string message) {
    return Status(StatusCode::kUnavailable, std::move(message));
  }
  static Status Internal(std::string message) {
    return Status(StatusCode::kInternal, std::move(message));
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }
  // The machine-readable reason: the one set by WithReason, else StatusCodeName(code()).
  std::string_view reason() const {
    return reason_.empty() ? StatusCodeName(code_) : std::string_view(reason_);
  }

  // Returns a copy with a specific reason, e.g.
  // Status::Unauthenticated(..).WithReason("totp_required").
  Status WithReason(std::string reason) const& {
    Status copy = *this;
    copy.reason_ = std::move(reason);
    return copy;
  }
  Status WithReason(std::string reason) && {
    reason_ = std::move(reason);
    return std::move(*this);
  }

  // "invalid_argument: message (field)" for logs and test failures.
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
  std::string reason_;
};

// Result<T> holds a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : state_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(state_).ok()) {
      state_ = Status::Internal("Result constructed from an OK status without a value");
    }
  }

  bool ok() const { return std::holds_alternative<T>(state_); }
  // OK when a value is held.
  Status status() const { return ok() ? Status() : std::get<Status>(state_); }

  T& value() & { return std::get<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace custos

#define CUSTOS_CONCAT_INNER(a, b) a##b
#define CUSTOS_CONCAT(a, b) CUSTOS_CONCAT_INNER(a, b)

// Returns the Status of `expr` from the enclosing function when it is not OK.
#define CUSTOS_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::custos::Status custos_status_ = (expr);        \
    if (!custos_status_.ok()) return custos_status_; \
  } while (false)

// `lhs = value of expr`, or returns its Status from the enclosing function.
#define CUSTOS_ASSIGN_OR_RETURN(lhs, expr) \
  CUSTOS_ASSIGN_OR_RETURN_IMPL(CUSTOS_CONCAT(custos_result_, __LINE__), lhs, expr)
#define CUSTOS_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                                 \
  if (!result.ok()) return result.status();             \
  lhs = std::move(result).value()

// Programming errors (never input from outside): abort with a message.
#define CUSTOS_CHECK(condition)                                                        \
  do {                                                                                 \
    if (!(condition)) ::custos::internal::CheckFailed(#condition, __FILE__, __LINE__); \
  } while (false)

namespace custos::internal {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
}  // namespace custos::internal
