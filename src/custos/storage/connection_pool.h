// ConnectionPool: up to `size` connections of one backend, opened lazily and handed to one
// transaction at a time; callers wait when all are in use. Thread-safe. Both backends use it, so
// that pooling behaves the same on SQLite and PostgreSQL.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "custos/core/status.h"
#include "custos/storage/database.h"

namespace custos::storage {

template <typename Connection>
class ConnectionPool {
 public:
  using Opener = std::function<Result<std::unique_ptr<Connection>>()>;

  ConnectionPool(int size, Opener open) : size_(size), open_connection_(std::move(open)) {}

  // An idle connection, a new one while fewer than `size` are open, or the next one released.
  Result<std::unique_ptr<Connection>> Acquire() {
    std::unique_lock lock(mutex_);
    while (true) {
      if (!idle_.empty()) {
        auto connection = std::move(idle_.back());
        idle_.pop_back();
        return connection;
      }
      if (open_ < size_) {
        ++open_;
        lock.unlock();  // opening may take a while; others may release meanwhile
        auto opened = open_connection_();
        if (!opened.ok()) {
          {
            std::lock_guard relock(mutex_);
            --open_;
          }
          available_.notify_one();
          return opened.status();
        }
        return std::move(opened).value();
      }
      available_.wait(lock);
    }
  }

  // Returns a connection after a transaction; a connection that is not `reusable` is closed.
  void Release(std::unique_ptr<Connection> connection, bool reusable, bool committed) {
    if (committed) committed_.fetch_add(1, std::memory_order_relaxed);
    if (!reusable) connection.reset();  // close outside the lock
    {
      std::lock_guard lock(mutex_);
      if (reusable) {
        idle_.push_back(std::move(connection));
      } else {
        --open_;
      }
    }
    available_.notify_one();
  }

  void CountStarted() { started_.fetch_add(1, std::memory_order_relaxed); }

  DatabaseStats Stats() const {
    std::lock_guard lock(mutex_);
    DatabaseStats stats;
    stats.connections_open = open_;
    stats.connections_in_use = open_ - static_cast<int>(idle_.size());
    stats.transactions_started = started_.load();
    stats.transactions_committed = committed_.load();
    return stats;
  }

 private:
  const int size_;
  Opener open_connection_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> idle_;  // GUARDED_BY(mutex_)
  int open_ = 0;                                   // GUARDED_BY(mutex_)
  std::atomic<std::int64_t> started_{0};
  std::atomic<std::int64_t> committed_{0};
};

}  // namespace custos::storage
