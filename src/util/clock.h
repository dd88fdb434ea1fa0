// Time for the agent: a monotonic clock for deadlines and RFC 3339 wall-clock stamps for
// everything written to Redis.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace raibid {

using SteadyTime = std::chrono::steady_clock::time_point;
using Millis = std::chrono::milliseconds;

// Now as RFC 3339 UTC with milliseconds: "2026-11-27T05:15:00.123Z".
std::string NowRfc3339();
std::string FormatRfc3339(std::chrono::system_clock::time_point t);

// Milliseconds since the Unix epoch, the unit of Redis stream IDs.
int64_t UnixMillisNow();

}  // namespace raibid
