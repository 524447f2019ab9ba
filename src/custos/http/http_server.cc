// GCC 12 needs <utility> before Asio's coroutine headers (DESIGN.md §6), and it reports a false
// -Wmismatched-new-delete on Asio's coroutine frame allocator (GCC bug 109224).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <utility>

#include "custos/http/http_server.h"

#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "custos/core/log.h"
#include "custos/http/error_response.h"

namespace custos::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

struct HttpServer::State {
  HttpServerOptions options;
  Api& api;
  asio::io_context io;
  asio::thread_pool workers;
  tcp::acceptor acceptor;
  asio::signal_set signals;
  std::atomic<bool> stopping{false};
  std::atomic<int> connections{0};
  std::mutex idle_mutex;
  std::set<int> idle_sockets;  // GUARDED_BY(idle_mutex): native handles waiting for a request
  int bound_port = 0;

  State(HttpServerOptions opts, Api& a)
      : options(std::move(opts)),
        api(a),
        io(options.io_threads),
        workers(static_cast<std::size_t>(options.worker_threads)),
        acceptor(io),
        signals(io, SIGINT, SIGTERM) {}

  void MarkIdle(int handle, bool idle) {
    std::lock_guard lock(idle_mutex);
    if (idle) {
      idle_sockets.insert(handle);
    } else {
      idle_sockets.erase(handle);
    }
  }

  asio::awaitable<void> Accept();
  asio::awaitable<void> Serve(tcp::socket socket);
  // Writes a response whose body comes from Response::next_piece, in chunked encoding; each
  // piece is produced on a worker. False when the body could not be completed.
  asio::awaitable<bool> WriteStreamed(beast::tcp_stream& stream, Response& response,
                                      unsigned version, bool keep_alive);
  asio::awaitable<void> Shutdown();
  void BeginStop();
};

namespace {

Request ToRequest(const bhttp::request<bhttp::string_body>& in, const std::string& remote) {
  Request request;
  request.method = std::string(in.method_string());
  request.target = std::string(in.target());
  request.remote_address = remote;
  request.headers.reserve(8);
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  request.body = in.body();
  return request;
}

bhttp::response<bhttp::string_body> ToBeast(Response response, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), version};
  out.set(bhttp::field::server, "custos");
  if (!response.content_type.empty()) out.set(bhttp::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) out.insert(name, value);
  out.body() = std::move(response.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

Response ResponseForReadError(const beast::error_code& error) {
  if (error == bhttp::error::header_limit) {
    return ErrorResponse(431, "headers_too_large", "request headers are too large");
  }
  if (error == bhttp::error::body_limit) {
    return ErrorResponse(413, "payload_too_large", "request body is too large");
  }
  return ErrorResponse(400, "invalid_argument", "malformed HTTP request");
}

bool IsProtocolError(const beast::error_code& error) {
  return error.category() == beast::error_code(bhttp::error::header_limit).category() &&
         error != bhttp::error::end_of_stream && error != bhttp::error::partial_message;
}

}  // namespace

asio::awaitable<void> HttpServer::State::Accept() {
  while (!stopping) {
    beast::error_code error;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
    if (error) {
      if (stopping || error == asio::error::operation_aborted) break;
      Log(LogLevel::kWarn, "accept_failed", {{"error", error.message()}});
      continue;
    }
    socket.set_option(tcp::no_delay(true), error);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, Serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> HttpServer::State::Serve(tcp::socket socket) {
  ++connections;
  beast::error_code error;
  std::string remote;
  {
    const auto endpoint = socket.remote_endpoint(error);
    remote = error ? "" : endpoint.address().to_string();
  }
  const int handle = socket.native_handle();
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  auto handle_on_worker = [](Api* api, Request* request) -> asio::awaitable<Response> {
    co_return api->Handle(*request);
  };

  while (!stopping) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);

    // Waiting for the next request: the idle timeout applies, and shutdown may wake us.
    stream.expires_after(std::chrono::seconds(buffer.size() > 0 ? options.read_timeout_seconds
                                                                : options.idle_timeout_seconds));
    MarkIdle(handle, true);
    if (stopping) {
      MarkIdle(handle, false);
      break;
    }
    co_await bhttp::async_read_header(stream, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, error));
    MarkIdle(handle, false);
    if (!error && !parser.is_done()) {
      stream.expires_after(std::chrono::seconds(options.read_timeout_seconds));
      co_await bhttp::async_read(stream, buffer, parser,
                                 asio::redirect_error(asio::use_awaitable, error));
    }
    if (error) {
      if (IsProtocolError(error)) {
        Response response = ResponseForReadError(error);
        stream.expires_after(std::chrono::seconds(options.read_timeout_seconds));
        auto out = ToBeast(std::move(response), 11, false);
        co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, error));
      }
      break;
    }

    auto& message = parser.get();
    Request request = ToRequest(message, remote);
    Response response;
    if (!ParseTarget(request.target, request.path, request.query)) {
      response = ErrorResponse(400, "invalid_argument", "malformed request target");
    } else if (std::optional<Response> answered = api.HandleIfNonBlocking(request)) {
      response = std::move(*answered);
    } else {
      response =
          co_await asio::co_spawn(workers, handle_on_worker(&api, &request), asio::use_awaitable);
    }
    if (response.hold) {
      // Wait, without holding any thread, until the response may go out (Response::hold).
      auto hold = std::move(response.hold);
      std::optional<Response> replacement =
          co_await asio::async_initiate<const asio::use_awaitable_t<>&,
                                        void(std::optional<Response>)>(
              [&hold](auto handler) {
                auto shared = std::make_shared<decltype(handler)>(std::move(handler));
                hold([shared](std::optional<Response> result) {
                  auto executor = asio::get_associated_executor(*shared);
                  asio::post(executor, [shared, result = std::move(result)]() mutable {
                    (*shared)(std::move(result));
                  });
                });
              },
              asio::use_awaitable);
      if (replacement) response = std::move(*replacement);
    }
    const bool keep_alive = message.keep_alive() && !stopping;
    if (response.next_piece) {
      const bool complete = co_await WriteStreamed(stream, response, message.version(), keep_alive);
      if (!complete || !keep_alive) break;
      continue;
    }
    auto out = ToBeast(std::move(response), message.version(), keep_alive);
    stream.expires_after(std::chrono::seconds(options.read_timeout_seconds));
    co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, error));
    if (error || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, error);
  stream.socket().close(error);
  --connections;
}

asio::awaitable<bool> HttpServer::State::WriteStreamed(beast::tcp_stream& stream,
                                                       Response& response, unsigned version,
                                                       bool keep_alive) {
  auto next_piece = std::move(response.next_piece);
  std::string piece = std::move(response.body);
  response.body.clear();
  bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(response.status), version};
  head.set(bhttp::field::server, "custos");
  if (!response.content_type.empty()) head.set(bhttp::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) head.insert(name, value);
  head.keep_alive(keep_alive);
  head.chunked(true);
  bhttp::response_serializer<bhttp::empty_body> serializer{head};
  beast::error_code error;
  stream.expires_after(std::chrono::seconds(options.read_timeout_seconds));
  co_await bhttp::async_write_header(stream, serializer,
                                     asio::redirect_error(asio::use_awaitable, error));
  if (error) co_return false;
  // (co_spawn needs a default-constructible result, which Result<bool> is not.)
  auto produce = [](std::function<Result<bool>(std::string&)>* next, std::string* out,
                    bool* more) -> asio::awaitable<Status> {
    Result<bool> produced = (*next)(*out);
    if (!produced.ok()) co_return produced.status();
    *more = *produced;
    co_return Status::Ok();
  };
  bool more = true;
  while (true) {
    if (piece.empty()) {
      if (!more) break;
      const Status produced = co_await asio::co_spawn(workers, produce(&next_piece, &piece, &more),
                                                      asio::use_awaitable);
      if (!produced.ok()) {
        Log(LogLevel::kError, "stream_failed", {{"error", produced.message()}});
        co_return false;
      }
      continue;
    }
    stream.expires_after(std::chrono::seconds(options.read_timeout_seconds));
    co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(piece)),
                               asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return false;
    piece.clear();
  }
  stream.expires_after(std::chrono::seconds(options.read_timeout_seconds));
  co_await asio::async_write(stream, bhttp::make_chunk_last(),
                             asio::redirect_error(asio::use_awaitable, error));
  co_return !error;
}

void HttpServer::State::BeginStop() {
  if (stopping.exchange(true)) return;
  beast::error_code ignored;
  acceptor.close(ignored);
  signals.cancel(ignored);
  // Idle keep-alive connections are parked in a read; shutting the socket's read side wakes
  // them with end-of-stream. (shutdown() is safe from any thread; the socket object is not.)
  std::lock_guard lock(idle_mutex);
  for (int handle : idle_sockets) ::shutdown(handle, SHUT_RD);
}

asio::awaitable<void> HttpServer::State::Shutdown() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(options.shutdown_grace_seconds);
  while (connections > 0 && std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(idle_mutex);
      for (int handle : idle_sockets) ::shutdown(handle, SHUT_RD);
    }
    timer.expires_after(std::chrono::milliseconds(20));
    beast::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  io.stop();
}

HttpServer::HttpServer(HttpServerOptions options, Api& api)
    : state_(std::make_unique<State>(std::move(options), api)) {}

HttpServer::~HttpServer() {
  state_->io.stop();
  state_->workers.join();
}

Status HttpServer::Listen() {
  beast::error_code error;
  const auto address = asio::ip::make_address(state_->options.address, error);
  if (error)
    return Status::InvalidArgument("not an IP address: " + state_->options.address, "http.address");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(state_->options.port));
  auto& acceptor = state_->acceptor;
  acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return Status::Unavailable("cannot listen on " + state_->options.address + ":" +
                               std::to_string(state_->options.port) + ": " + error.message());
  }
  state_->bound_port = acceptor.local_endpoint().port();
  return Status::Ok();
}

int HttpServer::port() const { return state_->bound_port; }

void HttpServer::Run() {
  State& state = *state_;
  state.signals.async_wait([&state](const beast::error_code& error, int) {
    if (!error) {
      Log(LogLevel::kInfo, "shutdown_requested");
      state.BeginStop();
      asio::co_spawn(state.io, state.Shutdown(), asio::detached);
    }
  });
  asio::co_spawn(state.io, state.Accept(), asio::detached);
  std::vector<std::thread> extra;
  for (int i = 1; i < state.options.io_threads; ++i)
    extra.emplace_back([&state] { state.io.run(); });
  state.io.run();
  for (auto& thread : extra) thread.join();
  state.workers.join();
}

void HttpServer::Stop() {
  State& state = *state_;
  asio::post(state.io, [&state] {
    state.BeginStop();
    asio::co_spawn(state.io, state.Shutdown(), asio::detached);
  });
}

}  // namespace custos::http
