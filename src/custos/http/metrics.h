// HttpMetrics: request counts and latency histograms per route for /metrics (Prometheus text
// format), plus gauges sampled at scrape time (database pool, audit chain length).
// Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
class Counter;
class Histogram;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace custos::http {

class HttpMetrics {
 public:
  HttpMetrics();
  ~HttpMetrics();

  // `route` is the route pattern (never the concrete path: ids are not labels).
  void ObserveRequest(const std::string& method, const std::string& route, int status,
                      double seconds);
  // Sets a gauge, creating it on first use.
  void SetGauge(const std::string& name, const std::string& help, double value);
  // The Prometheus text exposition of everything.
  std::string Render() const;

 private:
  struct RouteSeries;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* latency_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<RouteSeries>> series_;  // GUARDED_BY(mutex_)
  std::map<std::string, prometheus::Gauge*> gauges_;            // GUARDED_BY(mutex_)
};

}  // namespace custos::http
