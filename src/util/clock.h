// Time for the agent: a monotonic clock for deadlines and RFC 3339 wall-clock stamps for
// everything written to Redis. Code whose decisions depend on time (the job's deadline, retry
// waits) takes a Clock, so a test can run it on simulated time (util/fake_clock_test_util.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace raibid {

using SteadyTime = std::chrono::steady_clock::time_point;
using SystemTime = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

class StopSource;

// The source of time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic now, for deadlines and durations.
  virtual SteadyTime SteadyNow() = 0;
  // Wall-clock now, for timestamps.
  virtual SystemTime SystemNow() = 0;
  // Blocks until `until` or until `stop` is requested, whichever comes first; true when the time
  // came, false when stopped.
  virtual bool WaitUntil(SteadyTime until, const StopSource& stop) = 0;

  // The process's real clock (std::chrono's steady and system clocks).
  static Clock& Real();
};

// Now as RFC 3339 UTC with milliseconds: "2026-11-27T05:15:00.123Z".
std::string NowRfc3339();
std::string FormatRfc3339(SystemTime t);

// Milliseconds since the Unix epoch, the unit of Redis stream IDs.
int64_t UnixMillisNow();
int64_t UnixMillis(SystemTime t);

}  // namespace raibid
