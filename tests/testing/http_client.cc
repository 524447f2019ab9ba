#include "testing/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace custos::testing {

std::string HttpResult::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

Json HttpResult::JsonBody() const { return Json::parse(body, nullptr, false); }

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void HttpClient::Connect() {
  Close();
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port_));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    Close();
    throw std::runtime_error("cannot connect to test server");
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ++connects_;
}

namespace {

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads one response; false if the connection closed before a full response arrived.
bool ReadResponse(int fd, HttpResult& result, bool& server_closes) {
  std::string data;
  char buffer[65536];
  size_t header_end = std::string::npos;
  while (header_end == std::string::npos) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    data.append(buffer, static_cast<size_t>(n));
    header_end = data.find("\r\n\r\n");
  }
  const std::string head = data.substr(0, header_end);
  std::string body = data.substr(header_end + 4);
  result = HttpResult();
  result.status = std::stoi(head.substr(9, 3));
  size_t content_length = 0;
  bool chunked = false;
  size_t pos = head.find("\r\n");
  server_closes = false;
  while (pos != std::string::npos && pos < head.size()) {
    const size_t next = head.find("\r\n", pos + 2);
    const std::string line =
        head.substr(pos + 2, (next == std::string::npos ? head.size() : next) - pos - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (name == "content-length") content_length = std::stoul(value);
      if (name == "connection" && value == "close") server_closes = true;
      if (name == "transfer-encoding" && value == "chunked") chunked = true;
      result.headers.emplace_back(name, value);
    }
    pos = next;
  }
  auto receive_more = [&]() {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return false;
    body.append(buffer, static_cast<size_t>(n));
    return true;
  };
  if (chunked) {
    // <hex size>\r\n<data>\r\n … 0\r\n\r\n
    size_t at = 0;
    while (true) {
      size_t line_end;
      while ((line_end = body.find("\r\n", at)) == std::string::npos) {
        if (!receive_more()) return false;
      }
      const size_t size = std::stoul(body.substr(at, line_end - at), nullptr, 16);
      while (body.size() < line_end + 2 + size + 2) {
        if (!receive_more()) return false;
      }
      result.body.append(body, line_end + 2, size);
      at = line_end + 2 + size + 2;
      if (size == 0) return true;
    }
  }
  while (body.size() < content_length) {
    if (!receive_more()) return false;
  }
  result.body = body.substr(0, content_length);
  return true;
}

}  // namespace

HttpResult HttpClient::Send(const std::string& method, const std::string& target,
                            const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string request =
      method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n" + body;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (fd_ < 0) Connect();
    HttpResult result;
    bool server_closes = false;
    if (WriteAll(fd_, request) && ReadResponse(fd_, result, server_closes)) {
      if (server_closes) Close();
      return result;
    }
    Close();  // the server closed an idle keep-alive connection: reconnect once
  }
  throw std::runtime_error("no response from test server");
}

HttpResult HttpClient::Get(const std::string& target, const std::string& token) {
  if (token.empty()) return Send("GET", target);
  return Send("GET", target, "", {{"Authorization", "Bearer " + token}});
}

HttpResult HttpClient::Post(const std::string& target, const Json& body, const std::string& token) {
  if (token.empty()) return Send("POST", target, body.dump());
  return Send("POST", target, body.dump(), {{"Authorization", "Bearer " + token}});
}

std::string HttpClient::SendRaw(const std::string& bytes, int max_wait_ms) {
  if (fd_ < 0) Connect();
  WriteAll(fd_, bytes);
  std::string out;
  char buffer[65536];
  while (true) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, max_wait_ms) <= 0) break;
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  Close();
  return out;
}

bool HttpClient::ServerClosed(int wait_ms) {
  if (fd_ < 0) Connect();
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, wait_ms) <= 0) return false;
  char byte;
  const bool closed = ::recv(fd_, &byte, 1, MSG_PEEK) <= 0;
  if (closed) Close();
  return closed;
}

std::string Login(int port, const std::string& username, const std::string& password) {
  HttpClient client(port);
  const HttpResult result =
      client.Post("/api/v1/auth/login", {{"username", username}, {"password", password}});
  if (result.status != 200) return "";
  return result.JsonBody().value("token", "");
}

}  // namespace custos::testing
