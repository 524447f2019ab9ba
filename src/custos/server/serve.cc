#include <condition_variable>
#include <mutex>
#include <thread>

#include "custos/core/log.h"
#include "custos/fhir/fhir_routes.h"
#include "custos/http/api.h"
#include "custos/http/handlers.h"
#include "custos/http/http_server.h"
#include "custos/http/mpi_routes.h"
#include "custos/server/runtime.h"

namespace custos::server {

namespace {

// Signs the audit head every `interval` while the server runs (a no-op when nothing changed).
class CheckpointTimer {
 public:
  CheckpointTimer(Runtime& runtime, std::chrono::seconds interval)
      : runtime_(runtime), interval_(interval), thread_([this] { Loop(); }) {}
  ~CheckpointTimer() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void Loop() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      auto written = runtime_.audit_trail().WriteCheckpoint(runtime_.database());
      if (!written.ok())
        Log(LogLevel::kWarn, "audit_checkpoint_failed", {{"error", written.status().ToString()}});
      lock.lock();
    }
  }

  Runtime& runtime_;
  std::chrono::seconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

http::HttpServerOptions ListenerOptions(const Config& config) {
  http::HttpServerOptions options;
  options.address = config.http_address;
  options.port = config.http_port;
  options.io_threads = config.http_io_threads;
  options.worker_threads = config.http_worker_threads;
  options.max_body_bytes = static_cast<std::size_t>(config.http_max_body_bytes);
  options.max_header_bytes = static_cast<std::size_t>(config.http_max_header_bytes);
  options.read_timeout_seconds = config.http_read_timeout_seconds;
  options.idle_timeout_seconds = config.http_idle_timeout_seconds;
  return options;
}

// On PostgreSQL a batch's commit is a round trip and an fsync, during which the next batch fills
// by itself; waiting for more there only adds latency.
audit::AuditBatcherOptions ReadAuditOptions(const storage::Database& database) {
  audit::AuditBatcherOptions options;
  if (database.backend() == storage::Backend::kPostgres) options.linger = {};
  return options;
}

}  // namespace

struct Server::Parts {
  // First, so that it is destroyed last: it commits what the listener's requests queued.
  audit::AuditBatcher read_audit;
  http::StaticFiles static_files;
  http::HttpMetrics metrics;
  http::Api api;
  http::ApiServices services;
  fhir::FhirServices fhir_services;
  http::MpiServices mpi_services;
  http::HttpServer listener;
  clinical::ResourceStore& runtime_store;

  // The store outlives the batcher: it must stop using it first.
  ~Parts() { runtime_store.SetReadBatcher(nullptr); }

  explicit Parts(Runtime& runtime)
      : read_audit(runtime.database(), runtime.audit_trail(), ReadAuditOptions(runtime.database())),
        api(runtime.sessions(), metrics, static_files, http::ApiOptions{}),
        services{runtime.accounts(), runtime.audit_review(), runtime.database(), metrics,
                 http::ServerInfo{}},
        fhir_services{runtime.resources(), runtime.search(), runtime.bundles(),
                      std::string(kVersion), &runtime.registry()},
        mpi_services{runtime.registry(), runtime.duplicate_queue(), runtime.merger(),
                     runtime.clock()},
        listener(ListenerOptions(runtime.config()), api),
        runtime_store(runtime.resources()) {
    const Config& config = runtime.config();
    services.info.version = std::string(kVersion);
    services.info.demo_mode = config.demo;
    services.info.require_admin_totp = runtime.sessions().policy().require_admin_totp;
    services.info.backend = std::string(storage::BackendName(runtime.database().backend()));
    services.info.session_lifetime_seconds = config.auth_session_lifetime_seconds;
    services.info.idle_timeout_seconds = config.auth_idle_timeout_seconds;
    services.info.bench_routes = config.http_enable_bench_routes;
    api.SetReadAuditBatcher(&read_audit);
    runtime.resources().SetReadBatcher(&read_audit);
    http::AddRoutes(api, services);
    fhir::AddFhirRoutes(api, fhir_services);
    http::AddMpiRoutes(api, mpi_services);
  }
};

Server::Server(Runtime& runtime) : runtime_(runtime), parts_(std::make_unique<Parts>(runtime)) {}
Server::~Server() = default;

Status Server::Listen() {
  const Config& config = runtime_.config();
  CUSTOS_RETURN_IF_ERROR(parts_->static_files.Load(config.web_dir));
  // The first registrar should not wait for the patient index to load.
  CUSTOS_RETURN_IF_ERROR(runtime_.registry().Load());
  if (!parts_->static_files.loaded()) {
    Log(LogLevel::kWarn, "web_app_missing",
        {{"web_dir", config.web_dir}, {"hint", "run make build"}});
  }
  return parts_->listener.Listen();
}

int Server::port() const { return parts_->listener.port(); }

const http::Router& Server::router() const { return parts_->api.router(); }

Status Server::Run() {
  const Config& config = runtime_.config();
  {
    CheckpointTimer checkpoints(runtime_,
                                std::chrono::seconds(config.audit_checkpoint_every_seconds));
    Log(LogLevel::kInfo, "listening",
        {{"port", port()}, {"backend", parts_->services.info.backend}, {"demo", config.demo}});
    parts_->listener.Run();
  }
  auto final_checkpoint = runtime_.audit_trail().WriteCheckpoint(runtime_.database());
  if (!final_checkpoint.ok()) return final_checkpoint.status();
  Log(LogLevel::kInfo, "stopped", {{"audit_checkpoint", *final_checkpoint}});
  return Status::Ok();
}

void Server::Stop() { parts_->listener.Stop(); }

}  // namespace custos::server
