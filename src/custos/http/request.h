// Request and Response as handlers see them: plain structs, no networking library types, so
// that handlers and their tests compile quickly and never depend on Beast.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "custos/core/json.h"
#include "custos/core/status.h"

namespace custos::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;                                      // "GET", "POST", …
  std::string target;                                      // as sent: path and query
  std::string path;                                        // percent-decoded path without the query
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  HeaderList headers;                                      // names lower-case
  std::string body;
  std::string remote_address;
  std::string request_id;
  std::vector<std::pair<std::string, std::string>> path_params;  // filled by the router

  // Empty when absent.
  std::string_view Header(std::string_view lower_case_name) const;
  std::optional<std::string> QueryParam(std::string_view name) const;
  // Query parameter `name` as a whole number in [min, max]; `fallback` when absent or empty.
  // kInvalidArgument naming the parameter when it is not such a number.
  Result<int> IntQueryParam(std::string_view name, int fallback, int min, int max) const;
  std::string_view PathParam(std::string_view name) const;
  // The value of cookie `name`, empty when absent.
  std::string Cookie(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  HeaderList headers;  // besides Content-Type and Content-Length
  // Set when the response may go out only after other work finishes (the audit events of the
  // reads behind it being committed). The server calls it once, without holding a thread, with a
  // callback that must be called exactly once, from any thread: with nullopt to send this
  // response, or with a replacement (an error) to send instead.
  using Release = std::function<void(std::optional<Response>)>;
  std::function<void(Release)> hold;
  // Set for a body produced piece by piece and sent with chunked transfer encoding (`body` is
  // then sent first, if not empty). Called on a worker thread, once per piece, never while the
  // previous piece is still being written: appends the next piece to `piece` and returns whether
  // more may follow (false: the body is complete with what it appended, if anything). An error
  // after the status line has gone out can only cut the connection, which tells the client the body
  // is incomplete.
  std::function<Result<bool>(std::string& piece)> next_piece;
  // Set by a handler whose answer is produced later, elsewhere (a read run in a batch of the
  // read-audit batcher): the server calls it once, without holding a thread, with a callback that
  // must be called exactly once, from any thread, with the response or the error to answer with
  // (encoded as a handler's error would be). Api turns it into `hold`.
  using Deliver = std::function<void(Result<Response>)>;
  std::function<void(Deliver)> deferred;

  static Response FromJson(int status, const Json& json);
  static Response NoContent();
  void SetHeader(std::string name, std::string value);
  std::string_view Header(std::string_view name) const;
};

// Splits a target into the decoded path and query parameters. False when the target is not a
// valid origin-form (does not start with '/', bad percent-encoding).
bool ParseTarget(std::string_view target, std::string& path,
                 std::vector<std::pair<std::string, std::string>>& query);

}  // namespace custos::http
