#include "server/metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>

#include "redis/eviction_policy.h"
#include "redis/redis.h"
#include "server/process_metrics.h"

namespace raibid {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::Histogram;

// Seconds, from a trivial step to a long build.
Histogram::BucketBoundaries DurationBuckets() {
  return {0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200};
}

// Seconds, from a hot hand-off to a long queue.
Histogram::BucketBoundaries WaitBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};
}

template <typename Builder>
auto& Add(Builder builder, prometheus::Registry& registry) {
  return builder.Register(registry);
}

}  // namespace

Metrics::Metrics(AgentGauges gauges)
    : gauges_(std::move(gauges)),
      registry_(std::make_shared<prometheus::Registry>()),
      jobs_(BuildCounter()
                .Name("raibid_jobs_total")
                .Help("Jobs that reached a final state, by that state.")
                .Register(*registry_)),
      job_duration_(BuildHistogram()
                        .Name("raibid_job_duration_seconds")
                        .Help("Time from a job's start to its final state.")
                        .Register(*registry_)
                        .Add({}, DurationBuckets())),
      step_duration_(BuildHistogram()
                         .Name("raibid_step_duration_seconds")
                         .Help("Time each step ran.")
                         .Register(*registry_)
                         .Add({}, DurationBuckets())),
      queue_wait_(BuildHistogram()
                      .Name("raibid_queue_wait_seconds")
                      .Help("Time from a job's enqueue (its stream ID) to its start.")
                      .Register(*registry_)
                      .Add({}, WaitBuckets())),
      cache_requests_(BuildCounter()
                          .Name("raibid_cache_requests_total")
                          .Help("Cache lookups by cache kind and result (hit or miss).")
                          .Register(*registry_)),
      log_bytes_(BuildCounter()
                     .Name("raibid_log_bytes_total")
                     .Help("Bytes of step output stored in Redis.")
                     .Register(*registry_)
                     .Add({})),
      log_dropped_bytes_(BuildCounter()
                             .Name("raibid_log_dropped_bytes_total")
                             .Help("Bytes of step output not stored, by reason: limit (past the "
                                   "per-job log limit), redis (refused by Redis).")
                             .Register(*registry_)),
      retries_(BuildCounter()
                   .Name("raibid_retries_total")
                   .Help("Retries of retryable failures, by reason.")
                   .Register(*registry_)),
      dead_letters_(BuildCounter()
                        .Name("raibid_dead_letters_total")
                        .Help("Entries moved to the dead-letter stream.")
                        .Register(*registry_)
                        .Add({})),
      busy_slots_(BuildGauge()
                      .Name("raibid_busy_slots")
                      .Help("Slots running a job now.")
                      .Register(*registry_)
                      .Add({})),
      slots_(BuildGauge()
                 .Name("raibid_slots")
                 .Help("Jobs this agent runs at once (concurrency).")
                 .Register(*registry_)
                 .Add({})),
      draining_(BuildGauge()
                    .Name("raibid_draining")
                    .Help("1 while the agent drains after SIGTERM.")
                    .Register(*registry_)
                    .Add({})),
      redis_connected_(BuildGauge()
                           .Name("raibid_redis_connected")
                           .Help("1 while the consumer is connected with its group registered.")
                           .Register(*registry_)
                           .Add({})),
      redis_reconnects_(BuildCounter()
                            .Name("raibid_redis_reconnects_total")
                            .Help("Redis connections re-established after a failure.")
                            .Register(*registry_)
                            .Add({})),
      eviction_risk_(BuildGauge()
                         .Name("raibid_redis_eviction_risk")
                         .Help("1 when Redis' maxmemory-policy (the label) may evict queued jobs "
                               "or job status: anything but noeviction.")
                         .Register(*registry_)),
      disk_free_(BuildGauge()
                     .Name("raibid_disk_free_bytes")
                     .Help("Free bytes on the filesystem of the work or cache directory (dir).")
                     .Register(*registry_)),
      dir_bytes_(BuildGauge()
                     .Name("raibid_dir_bytes")
                     .Help("Bytes of the files under the work or cache directory (dir), surveyed "
                           "at most every 30 s.")
                     .Register(*registry_)),
      cache_limit_(BuildGauge()
                       .Name("raibid_cache_limit_bytes")
                       .Help("agent.cache.size: what the cache directory may hold.")
                       .Register(*registry_)
                       .Add({})),
      disk_low_(BuildGauge()
                    .Name("raibid_disk_low")
                    .Help("1 while the agent takes no jobs because the work or cache "
                          "directory's filesystem has less than agent.min_free_disk free.")
                    .Register(*registry_)
                    .Add({})),
      job_workspace_(
          BuildHistogram()
              .Name("raibid_job_workspace_bytes")
              .Help("Bytes a job's workspace held when its steps ended.")
              .Register(*registry_)
              .Add({},
                   prometheus::Histogram::BucketBoundaries{1 << 20, 16 << 20, 128 << 20, 1 << 30,
                                                           4.0 * (1 << 30), 16.0 * (1 << 30)})),
      job_peak_disk_(
          BuildHistogram()
              .Name("raibid_job_peak_disk_bytes")
              .Help("The most a job's files (workspace, cache home, TMPDIR) held while its steps "
                    "ran, measured every 2 s.")
              .Register(*registry_)
              .Add({},
                   prometheus::Histogram::BucketBoundaries{1 << 20, 16 << 20, 128 << 20, 1 << 30,
                                                           4.0 * (1 << 30), 16.0 * (1 << 30)})),
      job_cpu_(BuildHistogram()
                   .Name("raibid_job_cpu_seconds")
                   .Help("CPU seconds a job's steps used, summed (shell executor: their "
                         "processes' rusage; docker: their containers' stats).")
                   .Register(*registry_)
                   .Add({}, DurationBuckets())),
      job_memory_(BuildHistogram()
                      .Name("raibid_job_peak_memory_bytes")
                      .Help("A job's peak memory (shell executor: the largest resident set of "
                            "one step process; docker: the largest reading of the container's "
                            "memory).")
                      .Register(*registry_)
                      .Add({}, prometheus::Histogram::BucketBoundaries{
                                   16 << 20, 128 << 20, 512 << 20, 1 << 30, 4.0 * (1 << 30),
                                   16.0 * (1 << 30)})) {
  for (const char* reason : {"limit", "redis"}) log_dropped_bytes_.Add({{"reason", reason}});
  for (auto state :
       {JobState::kSucceeded, JobState::kFailed, JobState::kTimedOut, JobState::kCancelled}) {
    jobs_.Add({{"result", std::string(ToString(state))}});  // every result shows, even at zero
  }
  for (const char* cache : {"source", "deps"}) {
    for (const char* result : {"hit", "miss"})
      cache_requests_.Add({{"cache", cache}, {"result", result}});
  }
}

void Metrics::JobStarted(double queue_wait_seconds) { queue_wait_.Observe(queue_wait_seconds); }

void Metrics::JobFinished(JobState state, double seconds) {
  jobs_.Add({{"result", std::string(ToString(state))}}).Increment();
  job_duration_.Observe(seconds);
}

void Metrics::StepFinished(double seconds) { step_duration_.Observe(seconds); }

void Metrics::JobDisk(uint64_t workspace_bytes) {
  job_workspace_.Observe(static_cast<double>(workspace_bytes));
}

void Metrics::JobPeakDisk(uint64_t bytes) { job_peak_disk_.Observe(static_cast<double>(bytes)); }

void Metrics::JobCpu(double seconds) { job_cpu_.Observe(seconds); }

void Metrics::JobMemory(uint64_t peak_bytes) {
  job_memory_.Observe(static_cast<double>(peak_bytes));
}

void Metrics::CacheRequest(std::string_view cache, bool hit) {
  cache_requests_.Add({{"cache", std::string(cache)}, {"result", hit ? "hit" : "miss"}})
      .Increment();
}

void Metrics::LogBytes(uint64_t stored, uint64_t dropped) {
  log_bytes_.Increment(static_cast<double>(stored));
  log_dropped_bytes_.Add({{"reason", "limit"}}).Increment(static_cast<double>(dropped));
}

void Metrics::LogLost(uint64_t bytes) {
  log_dropped_bytes_.Add({{"reason", "redis"}}).Increment(static_cast<double>(bytes));
}

void Metrics::Retry(std::string_view reason) {
  retries_.Add({{"reason", std::string(reason)}}).Increment();
}

void Metrics::DeadLettered() { dead_letters_.Increment(); }

void Metrics::RefreshGauges() {
  if (gauges_.busy_slots) busy_slots_.Set(gauges_.busy_slots());
  if (gauges_.slots) slots_.Set(gauges_.slots());
  if (gauges_.draining) draining_.Set(gauges_.draining() ? 1 : 0);
  if (gauges_.connected) redis_connected_.Set(gauges_.connected() ? 1 : 0);
  if (gauges_.eviction_policy) {
    // One series, for the policy read at start; none while it is unknown.
    if (auto policy = gauges_.eviction_policy(); policy && !eviction_policy_shown_) {
      eviction_risk_.Add({{"policy", *policy}}).Set(MayEvict(*policy) ? 1 : 0);
      eviction_policy_shown_ = true;
    }
  }
  if (gauges_.disks) {
    for (const DirUsage& dir : gauges_.disks()) {
      if (dir.free >= 0) disk_free_.Add({{"dir", dir.name}}).Set(static_cast<double>(dir.free));
      dir_bytes_.Add({{"dir", dir.name}}).Set(static_cast<double>(dir.used));
    }
  }
  if (gauges_.disk_low) disk_low_.Set(gauges_.disk_low() ? 1 : 0);
  if (gauges_.cache_limit_bytes > 0)
    cache_limit_.Set(static_cast<double>(gauges_.cache_limit_bytes));
  const double now = static_cast<double>(Redis::reconnects());
  if (now > reconnects_seen_) redis_reconnects_.Increment(now - reconnects_seen_);
  reconnects_seen_ = now;
}

std::string Metrics::Render() {
  MutexLock lock(&render_mu_);
  RefreshGauges();
  std::ostringstream out;
  auto families = registry_->Collect();
  for (auto& f : ProcessMetrics().Collect()) families.push_back(std::move(f));
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace raibid
