#include "runner/execution.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "registry/registry_client.h"
#include "report/redis_log_sink.h"
#include "runner/job_dirs.h"
#include "runner/pipeline_source.h"
#include "util/clock.h"
#include "util/log_context.h"
#include "util/text.h"

namespace raibid {
namespace {

StepState ToStepState(StepResult r) {
  switch (r) {
    case StepResult::kSucceeded:
      return StepState::kSucceeded;
    case StepResult::kFailed:
      return StepState::kFailed;
    case StepResult::kTimedOut:
      return StepState::kTimedOut;
    case StepResult::kCancelled:
      return StepState::kCancelled;
    case StepResult::kError:
      return StepState::kFailed;
  }
  return StepState::kFailed;
}

}  // namespace

JobRunner::Execution::Execution(const RunnerOptions& options, SourceCache& source,
                                Executor& executor, const RedisFactory& connect,
                                RunObserver& observer, StatusWriter& status, const Job& job,
                                std::string url)
    : options_(options),
      source_(source),
      executor_(executor),
      connect_(connect),
      observer_(observer),
      status_(status),
      job_(job),
      url_(std::move(url)),
      workspace_(JobDirs::For(options.work_dir, job.id).workspace),
      home_(JobDirs::For(options.work_dir, job.id).home),
      auth_dir_(JobDirs::For(options.work_dir, job.id).auth),
      masker_(std::make_shared<Masker>(options.masker)) {
  for (const auto& [name, value] : job.secret_env) masker_->Add(value);
  // The agent's own log lines about this job are masked with what the job learns as well.
  CurrentLogContext().masker = masker_;
}

JobRunner::Execution::~Execution() {
  session_.reset();  // it writes its last lines to the log
  log_.reset();
  std::error_code ec;
  for (const auto& dir : {workspace_, home_, auth_dir_}) std::filesystem::remove_all(dir, ec);
}

void JobRunner::Execution::Sys(const std::string& text) {
  log_->Write("", LogFd::kSys, text + "\n");
}

Status JobRunner::Execution::Record(size_t index, const std::string& message) {
  return status_.StepChanged(steps_, index, message);
}

std::map<std::string, std::string> JobRunner::Execution::StepEnv(const Pipeline& pipeline,
                                                                 const std::string& commit,
                                                                 const std::string& step) const {
  // The repository's pipeline cannot replace the agent's secrets; the job (the CI server's word)
  // can, with its own env or secret_env.
  std::map<std::string, std::string> env = pipeline.env;
  for (const auto& [k, v] : options_.secret_env) env[k] = v;
  for (const auto& [k, v] : job_.env) env[k] = v;
  for (const auto& [k, v] : job_.secret_env) env[k] = v;
  if (!pipeline.rust_version.empty() && !env.contains("RUSTUP_TOOLCHAIN")) {
    env["RUSTUP_TOOLCHAIN"] = pipeline.rust_version;
  }
  if (cache_plan_) {
    for (const auto& [k, v] : cache_plan_->env) env.emplace(k, v);  // the job's own value wins
    env["RAIBID_CACHE_HOME"] = home_.string();  // what "~/" in cache.paths means
  }
  for (const auto& [k, v] : image_env_) env.emplace(k, v);
  env["CI"] = "true";
  env["RAIBID_JOB_ID"] = job_.id;
  env["RAIBID_COMMIT"] = commit;
  env["RAIBID_BRANCH"] = job_.branch;
  env["RAIBID_STEP"] = step;
  env["RAIBID_WORKSPACE"] = workspace_.string();
  return env;
}

bool JobRunner::Execution::WaitToRetry(Backoff& backoff, const char* metric,
                                       const std::string& what, const Error& error,
                                       const StopSource& stop) {
  if (!error.retryable) return false;
  auto wait = backoff.Next();
  if (!wait) return false;
  observer_.Retry(metric);
  Sys(what + " failed: " + masker_->Apply(error.message) + "; retrying in " +
      FormatSeconds(*wait, 1) + " (retry " + std::to_string(backoff.retries()) + ")");
  const auto until = std::chrono::steady_clock::now() + *wait;
  while (std::chrono::steady_clock::now() < until) {
    if (stop.stop_requested()) return false;
    std::this_thread::sleep_for(std::min(Millis(100), *wait));
  }
  return true;
}

Result<CheckoutResult> JobRunner::Execution::CheckoutWithRetries(const StopSource& stop) {
  Backoff backoff(options_.retry);
  while (true) {
    std::error_code ec;
    std::filesystem::remove_all(workspace_, ec);  // left by an interrupted earlier attempt
    auto checkout = source_.Checkout({.url = url_,
                                      .commit = job_.commit,
                                      .branch = job_.branch,
                                      .tag = job_.tag,
                                      .workspace = workspace_},
                                     *log_);
    if (checkout) observer_.CacheRequest("source", checkout->cache_hit);
    if (checkout || !WaitToRetry(backoff, "git_transport", "checkout", checkout.error(), stop)) {
      return checkout;
    }
  }
}

std::optional<JobRunner::Execution::Failure> JobRunner::Execution::BeginSession(
    const Pipeline& pipeline, const StopSource& stop) {
  std::error_code ec;
  const JobEnvironment env{
      .job_id = job_.id,
      .workspace = workspace_,
      .cache_home = home_,
      .auth_dir = std::filesystem::exists(auth_dir_, ec) ? auth_dir_ : std::filesystem::path(),
      .image = PipelineImage(pipeline, options_.language_image, options_.default_image),
      .network = pipeline.network,
      .cpu = pipeline.resources.cpu,
      .memory = pipeline.resources.memory,
      .privileged = pipeline.privileged,
      .volumes = pipeline.volumes};
  Backoff backoff(options_.retry);
  while (true) {
    auto session = executor_.Begin(env, *log_, stop);
    if (session) {
      session_ = std::move(*session);
      return std::nullopt;
    }
    if (!WaitToRetry(backoff, "executor", "preparing the job's container", session.error(), stop)) {
      const ErrorKind kind = stop.stop_requested() ? ErrorKind::kCancelled : session.error().kind;
      return Failure{kind == ErrorKind::kCancelled ? JobState::kCancelled : JobState::kFailed, kind,
                     masker_->Apply(session.error().message), std::nullopt};
    }
  }
}

std::optional<JobRunner::Execution::Failure> JobRunner::Execution::Prepare(Pipeline* pipeline,
                                                                           std::string* commit,
                                                                           const StopSource& stop) {
  std::error_code ec;
  std::filesystem::create_directories(options_.work_dir, ec);
  Sys("checking out " + masker_->Apply(url_) + " at " +
      (!job_.commit.empty()   ? job_.commit
       : !job_.branch.empty() ? "branch " + job_.branch
                              : "tag " + job_.tag));
  auto checkout = CheckoutWithRetries(stop);
  if (!checkout) {
    return Failure{JobState::kFailed, checkout.error().kind,
                   masker_->Apply(checkout.error().message), std::nullopt};
  }
  *commit = checkout->commit_sha;
  std::vector<std::string> warnings;
  auto parsed = LoadPipeline(job_, workspace_, options_.limits, &warnings);
  for (const auto& w : warnings) Sys("warning: " + w);
  if (!parsed) {
    return Failure{JobState::kFailed, ErrorKind::kInvalidPipeline, parsed.error().message, {}};
  }
  *pipeline = std::move(*parsed);
  return std::nullopt;
}

std::optional<JobRunner::Execution::Failure> JobRunner::Execution::RunSteps(
    const Pipeline& pipeline, const std::string& commit, JobDeadline& deadline,
    const StopSource& stop, int* exit_code) {
  for (size_t i = 0; i < pipeline.steps.size(); ++i) {
    const auto& step = pipeline.steps[i];
    CurrentLogContext().step = step.name;
    steps_[i].state = StepState::kRunning;
    steps_[i].started_at = NowRfc3339();
    if (auto s = Record(i, "step " + step.name + " started"); !s)
      spdlog::warn("{}", s.error().message);
    const auto t0 = std::chrono::steady_clock::now();
    StepSpec spec{.name = step.name,
                  .script = step.command,
                  .workdir = workspace_,
                  .env = StepEnv(pipeline, commit, step.name)};
    if (step.timeout_minutes) {
      spec.step_timeout = Millis(static_cast<int64_t>(*step.timeout_minutes * 60'000));
    }
    StepOutcome outcome = session_->RunStep(spec, *log_, deadline, stop);
    const auto elapsed = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0);
    observer_.StepFinished(elapsed.count() / 1000.0);
    steps_[i].state = ToStepState(outcome.result);
    steps_[i].finished_at = NowRfc3339();
    steps_[i].duration_ms = elapsed.count();
    if (outcome.exit_code >= 0) steps_[i].exit_code = outcome.exit_code;
    *exit_code = outcome.exit_code;
    const std::string verdict = "step " + step.name + " " + std::string(ToString(steps_[i].state)) +
                                " in " + FormatSeconds(elapsed, 1);
    if (auto s = Record(i, verdict); !s) spdlog::warn("{}", s.error().message);
    if (outcome.result == StepResult::kSucceeded) continue;
    for (size_t j = i + 1; j < steps_.size(); ++j) steps_[j].state = StepState::kSkipped;
    switch (outcome.result) {
      case StepResult::kTimedOut:
        return Failure{JobState::kTimedOut, ErrorKind::kTimeout, outcome.message,
                       outcome.exit_code};
      case StepResult::kCancelled:
        return Failure{JobState::kCancelled, ErrorKind::kCancelled, outcome.message,
                       outcome.exit_code};
      case StepResult::kError:
        return Failure{JobState::kFailed, ErrorKind::kInfrastructure, outcome.message, {}};
      default:
        return Failure{JobState::kFailed, ErrorKind::kStepFailed, outcome.message,
                       outcome.exit_code};
    }
  }
  return std::nullopt;
}

Result<std::optional<JobState>> JobRunner::Execution::Run(int64_t enqueued_ms, Millis timeout,
                                                          Millis extension,
                                                          const StopSource& stop) {
  const auto started = std::chrono::steady_clock::now();
  stop_ = &stop;
  JobDeadline deadline(started, timeout, extension);
  auto log_conn = connect_();
  if (!log_conn) return std::unexpected(log_conn.error());
  log_ = std::make_unique<RedisLogSink>(std::move(*log_conn), job_.id, options_.report, masker_);
  if (auto s = status_.Running(options_.agent_name, steps_); !s) return std::unexpected(s.error());
  const int64_t waited_ms = UnixMillisNow() - enqueued_ms;
  observer_.JobStarted(waited_ms / 1000.0);
  Sys("raibid-agent " + options_.agent_version + " on " + options_.agent_name + ": job " + job_.id +
      ", attempt " + std::to_string(status_.attempt()) + ", waited " + std::to_string(waited_ms) +
      " ms in the queue");

  Pipeline pipeline;
  std::string commit;
  int exit_code = -1;
  std::optional<Failure> failure = Prepare(&pipeline, &commit, stop);
  if (!failure) failure = RestoreCache(pipeline);
  if (!failure) PrepareImagePublishing(commit);
  if (!failure) {
    for (const auto& s : pipeline.steps) steps_.push_back(StepRecord{.name = s.name});
    failure = BeginSession(pipeline, stop);
    if (failure) {
      for (auto& step : steps_) step.state = StepState::kSkipped;
    } else {
      failure = RunSteps(pipeline, commit, deadline, stop, &exit_code);
    }
    session_.reset();  // the job's container goes before its caches are saved
    if (!failure) SaveCache();
    if (!failure) failure = PublishArtifacts(pipeline, commit);
  }
  RecordCache();
  if (failure && stop.reason() == StopReason::kShutdown) {
    Sys("interrupted by agent shutdown; the job stays queued for another agent");
    log_->Flush();
    return std::optional<JobState>{};
  }
  if (failure && stop.reason() == StopReason::kLeaseLost) {
    // Another agent owns the job now; this copy stops and writes nothing final.
    Sys("lease lost: another agent took this job over; stopping this copy");
    log_->Flush();
    return std::optional<JobState>{};
  }
  FinalStatus final{.state = JobState::kSucceeded};
  if (exit_code >= 0) final.exit_code = exit_code;
  if (failure) {
    final = {.state = failure->state,
             .exit_code = failure->exit_code,
             .error_kind = failure->kind,
             .error = masker_->Apply(failure->message)};
  }
  if (const uint64_t dropped = log_->dropped_bytes(); dropped > 0) {
    Sys("log limit: " + std::to_string(dropped) + " bytes of output were drained but not stored");
  }
  Sys("job " + std::string(ToString(final.state)) +
      (final.error.empty() ? "" : ": " + final.error) + " (" +
      FormatSeconds(std::chrono::steady_clock::now() - started, 1) + ")");
  log_->Flush();  // the log is complete before the state says the job ended
  observer_.LogBytes(log_->stored_bytes(), log_->dropped_bytes());
  if (auto s = status_.Finish(final, steps_); !s) return std::unexpected(s.error());
  observer_.JobFinished(
      final.state,
      std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started).count() /
          1000.0);
  return std::optional<JobState>{final.state};
}

}  // namespace raibid
