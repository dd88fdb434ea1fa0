// Why a job should stop early, shared between the thread running the job and whoever asks it to
// stop (a cancel, a drain, a lost lease). Thread-safe; the first reason given wins.
#pragma once

#include <atomic>

namespace raibid {

enum class StopReason { kNone = 0, kCancelled, kShutdown, kLeaseLost };

class StopSource {
 public:
  void RequestStop(StopReason reason) {
    int expected = 0;
    reason_.compare_exchange_strong(expected, static_cast<int>(reason));
  }
  bool stop_requested() const { return reason() != StopReason::kNone; }
  StopReason reason() const { return static_cast<StopReason>(reason_.load()); }

 private:
  std::atomic<int> reason_{0};
};

}  // namespace raibid
