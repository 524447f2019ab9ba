#include "custos/http/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace custos::http {

namespace {
const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  return buckets;
}
}  // namespace

struct HttpMetrics::RouteSeries {
  prometheus::Histogram* latency = nullptr;
  std::map<int, prometheus::Counter*> by_status;
};

HttpMetrics::HttpMetrics() : registry_(std::make_shared<prometheus::Registry>()) {
  requests_ = &prometheus::BuildCounter()
                   .Name("custos_http_requests_total")
                   .Help("HTTP requests answered, by route pattern, method and status")
                   .Register(*registry_);
  latency_ = &prometheus::BuildHistogram()
                  .Name("custos_http_request_duration_seconds")
                  .Help("Time from a complete request to its response, by route pattern")
                  .Register(*registry_);
}

HttpMetrics::~HttpMetrics() = default;

void HttpMetrics::ObserveRequest(const std::string& method, const std::string& route, int status,
                                 double seconds) {
  prometheus::Histogram* histogram = nullptr;
  prometheus::Counter* counter = nullptr;
  {
    // The key is built in a reused buffer: no allocation per request once warm.
    thread_local std::string key;
    key.assign(method).append(" ").append(route);
    std::lock_guard lock(mutex_);
    auto found = series_.find(key);
    if (found == series_.end()) found = series_.emplace(key, nullptr).first;
    auto& series = found->second;
    if (!series) {
      series = std::make_unique<RouteSeries>();
      series->latency = &latency_->Add({{"route", route}, {"method", method}}, LatencyBuckets());
    }
    auto& by_status = series->by_status[status];
    if (!by_status) {
      by_status = &requests_->Add(
          {{"route", route}, {"method", method}, {"status", std::to_string(status)}});
    }
    histogram = series->latency;
    counter = by_status;
  }
  counter->Increment();
  histogram->Observe(seconds);
}

void HttpMetrics::SetGauge(const std::string& name, const std::string& help, double value) {
  prometheus::Gauge* gauge = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto& slot = gauges_[name];
    if (!slot) slot = &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add({});
    gauge = slot;
  }
  gauge->Set(value);
}

std::string HttpMetrics::Render() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace custos::http
