// HttpServer: the HTTP/1.1 listener (Boost.Beast, C++20 coroutines). The only translation unit
// that includes Beast, because Beast compiles slowly.
//
// One coroutine per connection reads a request (header limit → 431, body limit → 413, a client
// that is too slow is cut off by the read timeout, an idle keep-alive connection by the idle
// timeout), hands it to Api on the worker pool (blocking work never runs on the I/O threads;
// requests that Api::HandleIfNonBlocking can answer are answered directly), and writes the
// response. A slow client holds only its own coroutine, never a worker. Stop() is graceful: no new
// connections, requests in flight finish, idle connections close.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "custos/core/status.h"
#include "custos/http/api.h"

namespace custos::http {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  int port = 8080;  // 0: any free port
  int io_threads = 1;
  int worker_threads = 2;
  std::size_t max_header_bytes = 8 << 10;
  std::size_t max_body_bytes = 1 << 20;
  int read_timeout_seconds = 15;
  int idle_timeout_seconds = 30;
  int shutdown_grace_seconds = 10;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, Api& api);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens. kUnavailable when the address cannot be bound.
  Status Listen();
  // The bound port (after Listen).
  int port() const;
  // Serves until Stop() or SIGINT/SIGTERM; returns after a graceful shutdown.
  void Run();
  // Asks Run() to shut down gracefully. Thread-safe; callable from any thread.
  void Stop();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace custos::http
