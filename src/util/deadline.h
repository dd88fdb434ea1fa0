// A job's time budget: the soft timeout warns and extends the budget once, the hard timeout ends
// the job. The rule (docs/configuration.md): at `timeout` the job gets a warning in its log and
// `extension` more time, once; at `timeout + extension` it is killed and ends `timed_out`. An
// extension of zero makes the soft and hard timeouts the same moment.
#pragma once

#include <atomic>
#include <chrono>

#include "util/clock.h"

namespace raibid {

enum class DeadlineEvent { kNone, kExtended, kExpired };

class JobDeadline {
 public:
  // Starts now on `clock`, which must outlive the deadline; whoever checks the deadline while
  // the job runs (executor/step_report.h StepClock) reads the time from it.
  JobDeadline(Clock& clock, Millis timeout, Millis extension)
      : JobDeadline(clock.SteadyNow(), timeout, extension, clock) {}
  // Starts at `start`, on the real clock.
  JobDeadline(SteadyTime start, Millis timeout, Millis extension)
      : JobDeadline(start, timeout, extension, Clock::Real()) {}

  // kExtended exactly once, when the soft deadline passes (and there is an extension); kExpired
  // from the hard deadline on.
  // Thread-safe: steps that run at the same time share the job's deadline, and only one of them
  // sees kExtended.
  DeadlineEvent Check(SteadyTime now) {
    if (now >= hard_) return DeadlineEvent::kExpired;
    if (now >= soft_ && !extended_.exchange(true)) return DeadlineEvent::kExtended;
    return DeadlineEvent::kNone;
  }

  // The next moment Check can report something new.
  SteadyTime next() const { return extended_ || soft_ >= hard_ ? hard_ : soft_; }
  SteadyTime hard() const { return hard_; }
  Millis timeout() const { return timeout_; }
  Millis extension() const { return extension_; }
  // The clock the deadline runs on.
  Clock& clock() const { return *clock_; }

 private:
  JobDeadline(SteadyTime start, Millis timeout, Millis extension, Clock& clock)
      : soft_(start + timeout),
        hard_(start + timeout + extension),
        timeout_(timeout),
        extension_(extension),
        clock_(&clock) {}

  SteadyTime soft_;
  SteadyTime hard_;
  Millis timeout_;
  Millis extension_;
  Clock* clock_;
  std::atomic<bool> extended_{false};
};

}  // namespace raibid
