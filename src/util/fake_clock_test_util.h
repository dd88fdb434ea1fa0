// A Clock for tests: simulated time that moves only when told to. Advance() moves it by hand;
// WaitUntil() passes the simulated time at once (a test of a 16 s retry wait or a 30 min timeout
// runs in microseconds) and records each wait. Thread-safe.
#pragma once

#include <vector>

#include "util/clock.h"
#include "util/mutex.h"
#include "util/stop_token.h"

namespace raibid {

class FakeClock final : public Clock {
 public:
  // Starts at an arbitrary fixed moment (the steady epoch plus a day, 2026-01-01 on the wall).
  FakeClock() = default;

  SteadyTime SteadyNow() override {
    MutexLock lock(&mutex_);
    return steady_;
  }
  SystemTime SystemNow() override {
    MutexLock lock(&mutex_);
    return system_;
  }
  // Returns false at once when `stop` is requested; otherwise moves the time to `until` (if it is
  // later) and returns true.
  bool WaitUntil(SteadyTime until, const StopSource& stop) override {
    if (stop.stop_requested()) return false;
    MutexLock lock(&mutex_);
    const auto wait = std::max(until - steady_, SteadyTime::duration::zero());
    waits_.push_back(std::chrono::duration_cast<Millis>(wait));
    steady_ += wait;
    system_ += std::chrono::duration_cast<SystemTime::duration>(wait);
    return true;
  }

  void Advance(SteadyTime::duration d) {
    MutexLock lock(&mutex_);
    steady_ += d;
    system_ += std::chrono::duration_cast<SystemTime::duration>(d);
  }
  // Every wait passed so far, in order.
  std::vector<Millis> waits() const {
    MutexLock lock(&mutex_);
    return waits_;
  }
  // Simulated time passed since construction.
  Millis elapsed() const {
    MutexLock lock(&mutex_);
    return std::chrono::duration_cast<Millis>(steady_ - kSteadyStart);
  }

 private:
  static constexpr SteadyTime kSteadyStart{std::chrono::hours(24)};
  mutable Mutex mutex_;
  SteadyTime steady_ GUARDED_BY(mutex_) = kSteadyStart;
  SystemTime system_ GUARDED_BY(mutex_){std::chrono::seconds(1767225600)};  // 2026-01-01T00:00:00Z
  std::vector<Millis> waits_ GUARDED_BY(mutex_);
};

}  // namespace raibid
