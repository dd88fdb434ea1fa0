// The agent's Prometheus metrics (docs/reference.md, HTTP): a prometheus-cpp registry with the
// raibid_* families, fed by the runner through RunObserver and read by the HTTP server. Labels are
// bounded sets (a job's final state, a cache kind, a retry reason), never a job id.
// Thread-safe.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "agent/disk_survey.h"
#include "runner/run_observer.h"
#include "util/mutex.h"

namespace raibid {

// Values read at scrape time from the live agent.
struct AgentGauges {
  std::function<int()> busy_slots;
  std::function<int()> slots;
  std::function<bool()> draining;
  std::function<bool()> connected;
  // Redis' maxmemory-policy as read at start; nullopt when unknown (CONFIG refused).
  std::function<std::optional<std::string>()> eviction_policy;
  // The work and cache directories' disk figures (agent/disk_survey.h).
  std::function<std::vector<DirUsage>()> disks;
  uint64_t cache_limit_bytes = 0;  // agent.cache.size; 0: not shown
  // Whether the agent takes no jobs for lack of free disk (agent/disk_guard.h).
  std::function<bool()> disk_low;
};

class Metrics final : public RunObserver {
 public:
  explicit Metrics(AgentGauges gauges);

  void JobStarted(double queue_wait_seconds) override;
  void JobFinished(JobState state, double seconds) override;
  void StepFinished(double seconds) override;
  void CacheRequest(std::string_view cache, bool hit) override;
  void LogBytes(uint64_t stored, uint64_t dropped) override;
  void LogLost(uint64_t bytes) override;
  void Retry(std::string_view reason) override;
  void DeadLettered() override;
  void JobDisk(uint64_t workspace_bytes) override;
  void JobPeakDisk(uint64_t bytes) override;
  void JobCpu(double seconds) override;
  void JobMemory(uint64_t peak_bytes) override;

  // The exposition text (format 0.0.4) of every raibid_* and process_* series.
  std::string Render() EXCLUDES(render_mu_);

 private:
  void RefreshGauges() REQUIRES(render_mu_);

  AgentGauges gauges_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& jobs_;
  prometheus::Histogram& job_duration_;
  prometheus::Histogram& step_duration_;
  prometheus::Histogram& queue_wait_;
  prometheus::Family<prometheus::Counter>& cache_requests_;
  prometheus::Counter& log_bytes_;
  prometheus::Family<prometheus::Counter>& log_dropped_bytes_;  // by reason: limit, redis
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Counter& dead_letters_;
  prometheus::Gauge& busy_slots_;
  prometheus::Gauge& slots_;
  prometheus::Gauge& draining_;
  prometheus::Gauge& redis_connected_;
  prometheus::Counter& redis_reconnects_;
  prometheus::Family<prometheus::Gauge>& eviction_risk_;
  prometheus::Family<prometheus::Gauge>& disk_free_;
  prometheus::Family<prometheus::Gauge>& dir_bytes_;
  prometheus::Gauge& cache_limit_;
  prometheus::Gauge& disk_low_;
  prometheus::Histogram& job_workspace_;
  prometheus::Histogram& job_peak_disk_;
  prometheus::Histogram& job_cpu_;
  prometheus::Histogram& job_memory_;
  Mutex render_mu_;
  double reconnects_seen_ GUARDED_BY(render_mu_) = 0;
  bool eviction_policy_shown_ GUARDED_BY(render_mu_) = false;
};

}  // namespace raibid
