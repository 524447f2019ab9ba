// Time in Custos is UTC with microsecond precision. Storage and APIs use one fixed-width text form,
// "2026-11-25T10:00:00.123456Z", which sorts as text in the same order as in time on every backend.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace custos {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// The source of the current time. Inject it; tests use FakeClock. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp Now() const override;
};

// A clock that moves only when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start) : now_(start.time_since_epoch().count()) {}
  Timestamp Now() const override { return Timestamp(std::chrono::microseconds(now_.load())); }
  void Advance(std::chrono::microseconds by) { now_ += by.count(); }
  void Set(Timestamp at) { now_ = at.time_since_epoch().count(); }

 private:
  std::atomic<std::int64_t> now_;
};

// "2026-11-25T10:00:00.123456Z" (always 27 characters).
std::string FormatTimestamp(Timestamp t);
// Accepts the form above and also coarser RFC 3339 forms: "2026-11-25", "2026-11-25T10:00Z",
// "2026-11-25T10:00:00Z", "2026-11-25T10:00:00.5+01:00". nullopt when the text is not such a time.
std::optional<Timestamp> ParseTimestamp(std::string_view text);

}  // namespace custos
