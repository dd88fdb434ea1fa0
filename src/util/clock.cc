#include "util/clock.h"

#include <ctime>
#include <thread>

#include "util/stop_token.h"

namespace raibid {
namespace {

// A stop request is not signalled to waiters, so a wait looks at it this often.
constexpr Millis kStopPoll{100};

class RealClock final : public Clock {
 public:
  SteadyTime SteadyNow() override { return std::chrono::steady_clock::now(); }
  SystemTime SystemNow() override { return std::chrono::system_clock::now(); }
  bool WaitUntil(SteadyTime until, const StopSource& stop) override {
    for (SteadyTime now = SteadyNow(); now < until; now = SteadyNow()) {
      if (stop.stop_requested()) return false;
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(kStopPoll, until - now));
    }
    return !stop.stop_requested();
  }
};

}  // namespace

Clock& Clock::Real() {
  static RealClock clock;
  return clock;
}

std::string FormatRfc3339(SystemTime t) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  const time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm = {};
  gmtime_r(&secs, &tm);
  char buf[40];
  const size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

std::string NowRfc3339() { return FormatRfc3339(std::chrono::system_clock::now()); }

int64_t UnixMillis(SystemTime t) {
  return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
}

int64_t UnixMillisNow() { return UnixMillis(std::chrono::system_clock::now()); }

}  // namespace raibid
