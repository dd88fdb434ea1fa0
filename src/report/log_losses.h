// Job output that Redis refused to store (a log batch refused with OOM under `noeviction`,
// READONLY after a failover, ...), counted per step until it can be told: the log writer adds a
// `sys` line once Redis takes writes again, and the job's status says `log_lost_bytes`. Kept
// apart from the log limit, which drops output on purpose and says so itself.
// Record, unreported, ReportLine and MarkReported belong to one thread (the log flusher);
// total() may be read from any.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace raibid {

class LogLosses {
 public:
  // `bytes` of `step`'s output ("" for the job's own lines) were refused; `why` is the fault
  // ("redis: OOM on ci:logs:j: command not allowed ...").
  void Record(const std::string& step, uint64_t bytes, const std::string& why);
  bool unreported() const { return !unreported_.empty(); }
  // "redis refused 1234567 bytes of step build's output; they are lost from this log (<why>)\n",
  // one clause per step, in the order the losses happened.
  std::string ReportLine() const;
  void MarkReported();
  uint64_t total() const { return total_.load(); }

 private:
  std::vector<std::pair<std::string, uint64_t>> unreported_;
  std::string why_;  // the latest fault
  std::atomic<uint64_t> total_{0};
};

}  // namespace raibid
