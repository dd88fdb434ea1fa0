// What the runner tells the outside about the jobs it runs: the metrics' source. The default
// does nothing; the server module's Metrics implements it. Called from slot threads: an
// implementation must be thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "report/job_state.h"

namespace raibid {

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void JobStarted(double queue_wait_seconds) { (void)queue_wait_seconds; }
  virtual void JobFinished(JobState state, double seconds) { (void)state, (void)seconds; }
  virtual void StepFinished(double seconds) { (void)seconds; }
  // `cache`: "source", ...; hit when the cache already held what the job needed.
  virtual void CacheRequest(std::string_view cache, bool hit) { (void)cache, (void)hit; }
  virtual void LogBytes(uint64_t stored, uint64_t dropped) { (void)stored, (void)dropped; }
  // Bytes of a job's output Redis refused to store (report/log_losses.h).
  virtual void LogLost(uint64_t bytes) { (void)bytes; }
  // `reason`: "git_transport", ...
  virtual void Retry(std::string_view reason) { (void)reason; }
  virtual void DeadLettered() {}
  // The bytes a job's workspace held when its steps ended.
  virtual void JobDisk(uint64_t workspace_bytes) { (void)workspace_bytes; }
  // The most a job's files (workspace, cache home, TMPDIR) held while its steps ran.
  virtual void JobPeakDisk(uint64_t bytes) { (void)bytes; }
  // The CPU seconds a job's step processes used, summed; the largest resident set among them.
  virtual void JobCpu(double seconds) { (void)seconds; }
  virtual void JobMemory(uint64_t peak_bytes) { (void)peak_bytes; }
};

}  // namespace raibid
