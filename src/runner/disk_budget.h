// A job's disk budget (agent.limits.workspace_bytes): while its steps run, a thread of its own
// measures the bytes of the job's directories (util/disk_usage.h's TreeBytes of the workspace,
// the cache home and the TMPDIR) every `interval`, keeps the largest measurement, and once one
// is over the budget says so from then on. The executors end a step as soon as Exceeded() says
// something (StepSpec::disk_exceeded), so a job can overshoot the budget by what it writes in
// one interval plus the time one measurement takes (docs/configuration.md, Limits).
//
// Thread-safe: Exceeded() and peak() may be called from any thread while the watch runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "util/clock.h"
#include "util/mutex.h"

namespace raibid {

class DiskBudget {
 public:
  // How often a running job's directories are measured.
  static constexpr Millis kDefaultInterval{2000};

  DiskBudget(std::vector<std::filesystem::path> dirs, uint64_t budget,
             Millis interval = kDefaultInterval);
  // Stops the watch.
  ~DiskBudget();
  DiskBudget(const DiskBudget&) = delete;
  DiskBudget& operator=(const DiskBudget&) = delete;

  // Measures once now, then every interval on a thread of its own until Stop.
  void Start();
  // Ends the watch and measures once more (what the last step left counts for the peak).
  void Stop();
  // Nothing while every measurement was within the budget; else the error for the job, naming
  // the budget, the size measured and the key: "the job's files hold 12.0 MiB, over its disk
  // budget agent.limits.workspace_bytes (5 MiB)".
  std::optional<std::string> Exceeded() const;
  // The largest measurement so far (0 before the first).
  uint64_t peak() const;
  // What `dirs[index]` held at the last measurement (0 before the first): after Stop, each
  // directory's size when the steps ended, without walking it again.
  uint64_t last(size_t index) const;
  // Measures the directories now and records it; the bytes measured.
  uint64_t Measure();

 private:
  void Watch();

  const std::vector<std::filesystem::path> dirs_;
  const uint64_t budget_;
  const Millis interval_;
  mutable Mutex mu_;
  CondVar wake_;
  bool stop_ GUARDED_BY(mu_) = false;
  uint64_t peak_ GUARDED_BY(mu_) = 0;
  std::vector<uint64_t> last_ GUARDED_BY(mu_);  // per directory, at the last measurement
  std::optional<std::string> exceeded_ GUARDED_BY(mu_);
  std::thread watcher_;
};

}  // namespace raibid
