#pragma once
// Time for the deterministic core. Everything that decides by time takes a Clock&; only the
// daemon passes SystemClock. Times are milliseconds since the Unix epoch (UTC).
//
// Thread safety: SystemClock is safe from any thread; ManualClock is for single-threaded tests.

#include <cstdint>

namespace muster {

using Millis = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Millis NowMillis() const = 0;
};

class SystemClock final : public Clock {
 public:
  Millis NowMillis() const override;
  static SystemClock& Instance();
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(Millis start = 1'700'000'000'000) : now_(start) {}
  Millis NowMillis() const override { return now_; }
  void Advance(Millis ms) { now_ += ms; }
  void Set(Millis ms) { now_ = ms; }

 private:
  Millis now_;
};

}  // namespace muster
