// The run of one valid job, from `running` to its final state: the sequence of checkout,
// pipeline, cache restore, steps, cache save and artifacts, and what a failure or a stop at each
// point means for the job. The nouns it sequences have their own files (runner/job_cache.h,
// runner/job_registry.h, runner/artifact_publisher.h). Private to the runner.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/status_writer.h"
#include "runner/job_cache.h"
#include "runner/job_dirs.h"
#include "runner/job_registry.h"
#include "runner/job_runner.h"
#include "runner/step_plan.h"
#include "util/mutex.h"

namespace raibid {

class RedisLogSink;

class JobRunner::Execution {
 public:
  Execution(const RunnerOptions& options, SourceCheckout& source, Executor& executor,
            const RedisFactory& connect, RunObserver& observer, Clock& clock, StatusWriter& status,
            const Job& job, std::string url);
  ~Execution();

  // The final state written, or nullopt when a shutdown or a lost lease interrupted the job
  // (nothing final is written; the entry stays pending), or a fault of this agent's stopped it
  // (handed_back() says why; the job is `queued` again). An Error only when Redis failed.
  Result<std::optional<JobState>> Run(int64_t enqueued_ms, Millis timeout, Millis extension,
                                      const StopSource& stop);
  // What Run wrote as the job's final state (default until it wrote one).
  const FinalStatus& final_status() const { return final_; }
  // Why this agent handed the job back (Error::local); empty when it did not.
  const std::string& handed_back() const { return handed_back_; }

 private:
  struct Failure {
    JobState state;
    ErrorKind kind;
    std::string message;
    std::optional<int> exit_code;
    bool local = false;  // this agent's fault (Error::local): the job is handed back
  };
  // What a step that did not succeed means for the job; nullopt for one that succeeded.
  static std::optional<Failure> FailureOf(const StepOutcome& outcome);
  // The job's directories under the work directory: what fails here is this agent's fault.
  std::optional<Failure> MakeJobDirs();
  std::optional<Failure> Prepare(Pipeline* pipeline, std::string* commit, const StopSource& stop);
  Result<CheckoutResult> CheckoutWithRetries(const StopSource& stop);
  // The executor's session for the job (a container for `docker`), retried like a checkout
  // when the executor's failure is retryable (an engine that is down).
  std::optional<Failure> BeginSession(const Pipeline& pipeline, const StopSource& stop);
  // Waits out the next backoff delay after a retryable `error` of `what`; false when the
  // retries are used up or the job was stopped meanwhile.
  bool WaitToRetry(Backoff& backoff, const char* metric, const std::string& what,
                   const Error& error, const StopSource& stop);
  // The workspace_bytes, peak_disk_bytes, cpu_seconds and peak_memory_bytes of the status hash.
  void RecordUsage();
  // The session's steps, then the caches and artifacts of a pipeline that succeeded.
  std::optional<Failure> RunPipeline(const Pipeline& pipeline, const std::string& commit,
                                     JobDeadline& deadline, const StopSource& stop, int* exit_code);
  std::optional<Failure> RunSteps(const Pipeline& pipeline, const std::string& commit,
                                  JobDeadline& deadline, const StopSource& stop, int* exit_code);
  StepOutcome RunStep(size_t index, const Pipeline& pipeline, const std::string& commit,
                      JobDeadline& deadline, const StopSource& stop);
  // RunStep, again after the agent's backoff while the step's `retry` applies.
  StepOutcome RunStepWithRetries(size_t index, const Pipeline& pipeline, const std::string& commit,
                                 JobDeadline& deadline, const StopSource& stop);
  void Skip(size_t index, const std::string& reason);
  // How many steps may run at the same time (agent.parallel_steps; 0: the job's CPUs rounded up,
  // at least 2).
  size_t ParallelBound(const Pipeline& pipeline) const;
  // What a step's end means for the plan and the job (allow_failure, the first failure).
  void OnStepEnded(size_t index, const PipelineStep& step, const StepOutcome& outcome,
                   bool past_deadline, StepPlan& plan, std::optional<Failure>* failure,
                   int* exit_code);
  std::map<std::string, std::string> StepEnv(const Pipeline& pipeline, const std::string& commit,
                                             const std::string& step) const;
  // Writes the steps to the status hash; the caller holds record_mu_.
  Status Record(size_t index, const std::string& message);
  std::optional<Failure> PublishArtifacts(const Pipeline& pipeline, const std::string& commit);
  std::string ReadLogBack();
  // Writes the job's final state; what a stop by shutdown or a lost lease leaves instead.
  Result<std::optional<JobState>> Finish(const std::optional<Failure>& failure, int exit_code,
                                         SteadyTime started, const StopSource& stop);
  // Records that this agent cannot run the job and leaves it for another (Error::local).
  Result<std::optional<JobState>> HandBack(const std::string& reason);
  void Sys(const std::string& text);
  // A sys line "warning: ..." that the status hash's `warnings` field lists as well.
  void Warn(const std::string& text);

  const RunnerOptions& options_;
  SourceCheckout& source_;
  Executor& executor_;
  const RedisFactory& connect_;
  RunObserver& observer_;
  Clock& clock_;
  StatusWriter& status_;
  const Job& job_;
  const std::string url_;
  const JobDirs dirs_;  // workspace, cache home ("~" in cache.paths), registry login for steps
  // The agent's secrets plus the credentials the job obtains (the registry's bearer tokens):
  // its log, its status and the agent's log lines about it are masked with this.
  const std::shared_ptr<Masker> masker_;
  std::unique_ptr<RedisLogSink> log_;
  // Made once the log exists (they write to it).
  std::optional<JobRegistry> registry_;
  std::optional<JobCache> cache_;
  // Steps run on threads of their own: they touch steps_ and the status writer only with
  // record_mu_ held (the rest of the run, before and after the steps, is one thread).
  Mutex record_mu_;
  std::vector<StepRecord> steps_;
  // What the steps' processes used, summed (CPU) and at most (memory), where the executor
  // tells; under record_mu_ while steps run.
  std::optional<double> job_cpu_seconds_;
  std::optional<uint64_t> job_peak_memory_;
  std::vector<std::string> warnings_;  // masked
  std::map<std::string, std::string> image_env_;
  std::unique_ptr<JobSession> session_;  // between BeginSession and the end of the steps
  // The job's disk budget, watched while its steps run (made in RunPipeline).
  std::unique_ptr<DiskBudget> disk_;
  FinalStatus final_;
  std::string handed_back_;
};

}  // namespace raibid
