// One job's whole path: parse -> validate -> `running` -> checkout -> pipeline -> steps ->
// final state -> XACK. Bad input of any kind ends as a final state (or a dead letter) and an
// acknowledgement; only a Redis failure leaves the entry pending for a later delivery.
// A JobRunner is shared by the agent's slots: Run may be called from several threads at once,
// each with its own connection.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cache/cache_store.h"
#include "executor/executor.h"
#include "job/job.h"
#include "pipeline/pipeline.h"
#include "queue/job_queue.h"
#include "registry/registry_config.h"
#include "report/job_state.h"
#include "report/keys.h"
#include "report/status_writer.h"
#include "runner/cancel_registry.h"
#include "runner/disk_budget.h"
#include "runner/run_observer.h"
#include "source/source_checkout.h"
#include "util/backoff.h"
#include "util/clock.h"
#include "util/input_limits.h"
#include "util/masker.h"
#include "util/stop_token.h"

namespace raibid {

struct RunnerOptions {
  std::string agent_name;
  std::string agent_version;
  std::filesystem::path work_dir;
  std::string git_base_url;
  double default_timeout_minutes = 30;
  double max_timeout_minutes = 120;
  double timeout_extension_percent = 10;
  // agent.timeout.cleanup_minutes: the budget of the steps for failure after a timeout or cancel.
  double cleanup_minutes = 5;
  // agent.parallel_steps: how many of a job's steps may run at the same time; 0: the job's CPUs
  // (its resources.cpu, else job_cpu_limit) rounded up, at least 2.
  int parallel_steps = 0;
  std::string job_cpu_limit;  // agent.resources.limits.cpu ("2", "500m"; empty: none)
  ReportSettings report;
  Masker masker;  // the agent's own secrets (git token, registry password, agent.secrets)
  // agent.secrets: variables every step gets (their values are in `masker` too).
  std::map<std::string, std::string> secret_env;
  int max_deliveries = 3;       // runs started without an end, after which the job is dead-lettered
  BackoffPolicy retry;          // for retryable failures inside a job (a git transport error)
  CacheStore* cache = nullptr;  // dependency and build caches; null: caching is off
  std::optional<RegistryConfig> registry;  // where artifacts go; none: not published
  bool cache_remote = false;  // caches also go to / come from the registry (needs `registry`)
  std::string artifact_reference = "{registry}/{repository}:build-{job_id}";
  std::string image_tag = "{registry}/{repository}:{short_revision}";  // IMAGE_TAG for steps
  std::optional<StepRegistryLogin> step_login;  // the login file steps get; none: no login file
  std::string default_image;  // agent.image: for a pipeline with neither image nor language
  std::string language_image =
      "raibid/{language}-builder:{version}";  // agent.docker.language_image
  InputLimits limits;  // agent.limits.*: job messages, pipelines, artifacts, caches, HTTP answers
  // How often a running job's files are measured against limits.workspace_bytes.
  Millis disk_interval = DiskBudget::kDefaultInterval;
};

// How a delivered entry ended for the queue.
enum class Disposition {
  kAcked,         // final state written (or the job was already final), acknowledged
  kDeadLettered,  // unusable entry moved to the dead-letter stream
  kLeftPending,   // interrupted (shutdown) or Redis failed: another delivery will take it
  kNotStarted,    // the connection failed on the job's first command: nothing ran, run it again
  // A fault of this agent's (Error::local: its directories, disk or engine) stopped the job:
  // the attempt is recorded in the job's `handbacks`, the job is `queued` again and the entry
  // stays pending, unacknowledged, for the caller to release to another agent. `message` says
  // what is wrong with this agent.
  kHandedBack,
};

struct RunResult {
  Disposition disposition = Disposition::kLeftPending;
  std::optional<std::string> job_id;
  std::optional<JobState> state;  // the final state written, when there is one
  std::string message;
  // For the agent's log line (runner/job_log_line.h); empty / 0 / none when not known.
  std::string repository, ref, commit;  // as the job gave them (ref: its branch or tag)
  int attempt = 0;                      // the run's attempt number
  std::optional<ErrorKind> error_kind;
};

using RedisFactory = std::function<Result<std::unique_ptr<Redis>>()>;

class JobRunner {
 public:
  // `observer` (may be null) hears about every job. `clock` times the jobs: their deadlines,
  // the waits between retries, the steps' timestamps. Both must outlive the runner.
  JobRunner(RunnerOptions options, SourceCheckout& source, Executor& executor, RedisFactory connect,
            RunObserver* observer = nullptr, Clock& clock = Clock::Real())
      : options_(std::move(options)),
        source_(source),
        executor_(executor),
        connect_(std::move(connect)),
        observer_(observer ? observer : &no_observer_),
        clock_(clock) {}

  // `redis`/`queue` belong to the calling thread. Called once per delivery. While the job runs,
  // `stop` is registered in cancels() under its job id.
  RunResult Run(const StreamEntry& entry, Redis& redis, JobQueue& queue, StopSource& stop);

  CancelRegistry& cancels() { return cancels_; }

  // The job's timeout and its one soft extension, per the configuration.
  std::pair<Millis, Millis> TimeoutFor(const Job& job) const;

 private:
  class Execution;
  RunResult RejectEntry(const StreamEntry& entry, JobQueue& queue, const std::string& reason);
  RunResult GiveUp(const StreamEntry& entry, JobQueue& queue, StatusWriter& status,
                   const StatusWriter::Current& current);

  const RunnerOptions options_;
  SourceCheckout& source_;
  Executor& executor_;
  RedisFactory connect_;
  RunObserver no_observer_;
  RunObserver* observer_;
  Clock& clock_;
  CancelRegistry cancels_;
};

}  // namespace raibid
