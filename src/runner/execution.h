// The run of one valid job, from `running` to its final state. Private to the runner.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cache/cache_plan.h"
#include "report/status_writer.h"
#include "runner/job_runner.h"

namespace raibid {

class RedisLogSink;
class RegistryClient;

class JobRunner::Execution {
 public:
  Execution(const RunnerOptions& options, SourceCache& source, Executor& executor,
            const RedisFactory& connect, RunObserver& observer, StatusWriter& status,
            const Job& job, std::string url);
  ~Execution();

  // The final state written, or nullopt when a shutdown interrupted the job (nothing final is
  // written; the entry stays pending). An Error only when Redis failed.
  Result<std::optional<JobState>> Run(int64_t enqueued_ms, Millis timeout, Millis extension,
                                      const StopSource& stop);

 private:
  struct Failure {
    JobState state;
    ErrorKind kind;
    std::string message;
    std::optional<int> exit_code;
  };
  std::optional<Failure> Prepare(Pipeline* pipeline, std::string* commit, const StopSource& stop);
  Result<CheckoutResult> CheckoutWithRetries(const StopSource& stop);
  // The executor's session for the job (a container for `docker`), retried like a checkout
  // when the executor's failure is retryable (an engine that is down).
  std::optional<Failure> BeginSession(const Pipeline& pipeline, const StopSource& stop);
  // Waits out the next backoff delay after a retryable `error` of `what`; false when the
  // retries are used up or the job was stopped meanwhile.
  bool WaitToRetry(Backoff& backoff, const char* metric, const std::string& what,
                   const Error& error, const StopSource& stop);
  std::optional<Failure> RunSteps(const Pipeline& pipeline, const std::string& commit,
                                  JobDeadline& deadline, const StopSource& stop, int* exit_code);
  std::map<std::string, std::string> StepEnv(const Pipeline& pipeline, const std::string& commit,
                                             const std::string& step) const;
  Status Record(size_t index, const std::string& message);
  // Caches (runner/job_cache.cc): restore before the first step, save after a good pipeline.
  std::optional<Failure> RestoreCache(const Pipeline& pipeline);
  void SaveCache();
  void RecordCache();
  // The job's registry client, made on first use so the artifacts, the image login and the
  // remote cache tier share one session (and its tokens). Null without a registry.
  RegistryClient* Registry();
  std::optional<CacheHit> FindRemote();
  // Artifacts (runner/job_artifacts.cc): pushed to the registry after a good pipeline.
  std::optional<Failure> PublishArtifacts(const Pipeline& pipeline, const std::string& commit);
  std::string ReadLogBack();
  // IMAGE_TAG and a registry auth file (DOCKER_CONFIG, REGISTRY_AUTH_FILE) for steps that build
  // and push images; the file goes with the job.
  void PrepareImagePublishing(const std::string& commit);
  void Sys(const std::string& text);

  const RunnerOptions& options_;
  SourceCache& source_;
  Executor& executor_;
  const RedisFactory& connect_;
  RunObserver& observer_;
  StatusWriter& status_;
  const Job& job_;
  const std::string url_;
  const std::filesystem::path workspace_;
  std::unique_ptr<RedisLogSink> log_;
  std::vector<StepRecord> steps_;
  const std::filesystem::path home_;  // the job's cache home ("~" in cache.paths)
  std::optional<CachePlan> cache_plan_;
  uint64_t cache_fingerprint_ = 0;
  std::string cache_key_, cache_result_ = "off";
  int64_t cache_restore_ms_ = -1, cache_save_ms_ = -1;
  std::map<std::string, std::string> image_env_;
  const std::filesystem::path auth_dir_;  // the registry login file for steps
  const StopSource* stop_ = nullptr;      // the running job's, for the registry's transfers
  std::unique_ptr<RegistryClient> registry_;
  std::unique_ptr<JobSession> session_;  // between BeginSession and the end of the steps
  // The agent's secrets plus the credentials the job obtains (the registry's bearer tokens):
  // its log, its status and the agent's log lines about it are masked with this.
  const std::shared_ptr<Masker> masker_;
};

}  // namespace raibid
