// A small blocking HTTP/1.1 client over a real TCP socket, for integration tests. Keeps the
// connection open between requests (keep-alive) unless the server closes it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "custos/core/json.h"

namespace custos::testing {

struct HttpResult {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;

  std::string Header(std::string_view lower_case_name) const;
  Json JsonBody() const;  // discarded value when the body is not JSON
  std::string ErrorCode() const { return JsonBody()["error"].value("code", ""); }
  std::string ErrorField() const { return JsonBody()["error"].value("field", ""); }
};

class HttpClient {
 public:
  explicit HttpClient(int port) : port_(port) {}
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request; `headers` are added as given. Throws std::runtime_error on socket errors.
  HttpResult Send(const std::string& method, const std::string& target,
                  const std::string& body = "",
                  const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpResult Get(const std::string& target, const std::string& token = "");
  HttpResult Post(const std::string& target, const Json& body, const std::string& token = "");
  // Sends raw bytes and reads whatever comes back until the server closes or `max_wait_ms`.
  std::string SendRaw(const std::string& bytes, int max_wait_ms = 2000);
  // True when the server has closed this connection (reads EOF within `wait_ms`).
  bool ServerClosed(int wait_ms);
  int connects() const { return connects_; }

 private:
  void Connect();
  void Close();
  int port_;
  int fd_ = -1;
  int connects_ = 0;
};

// Logs in and returns the bearer token; empty when the login failed.
std::string Login(int port, const std::string& username, const std::string& password);

}  // namespace custos::testing
