#include "runner/execution.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <deque>
#include <thread>

#include "executor/docker_executor.h"
#include "executor/step_report.h"
#include "report/redis_log_sink.h"
#include "runner/artifact_publisher.h"
#include "runner/job_log_line.h"
#include "runner/pipeline_source.h"
#include "runner/step_log.h"
#include "runner/step_plan.h"
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

// The status hash's `warnings` field: a JSON array of texts.
std::string WarningsJson(const std::vector<std::string>& warnings) {
  return nlohmann::json(warnings).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<ServiceSpec> ServiceSpecs(const Pipeline& pipeline) {
  std::vector<ServiceSpec> out;
  for (const auto& s : pipeline.services) {
    out.push_back({.name = s.name,
                   .image = s.image,
                   .env = s.env,
                   .command = s.command,
                   .ready_port = s.ready_port,
                   .ready_command = s.ready_command,
                   .ready_timeout_seconds = s.ready_timeout_seconds});
  }
  return out;
}

std::vector<std::string> StepImages(const Pipeline& pipeline) {
  std::vector<std::string> out;
  for (const auto& step : pipeline.steps) {
    if (!step.image.empty() && std::find(out.begin(), out.end(), step.image) == out.end()) {
      out.push_back(step.image);
    }
  }
  return out;
}

}  // namespace

JobRunner::Execution::Execution(const RunnerOptions& options, SourceCheckout& source,
                                Executor& executor, const RedisFactory& connect,
                                RunObserver& observer, Clock& clock, StatusWriter& status,
                                const Job& job, std::string url)
    : options_(options),
      source_(source),
      executor_(executor),
      connect_(connect),
      observer_(observer),
      clock_(clock),
      status_(status),
      job_(job),
      url_(std::move(url)),
      dirs_(JobDirs::For(options.work_dir, job.id)),
      masker_(std::make_shared<Masker>(options.masker)) {
  for (const auto& [name, value] : job.secret_env) masker_->Add(value);
  // The agent's own log lines about this job are masked with what the job learns as well.
  CurrentLogContext().masker = masker_;
}

JobRunner::Execution::~Execution() {
  session_.reset();  // it writes its last lines to the log
  cache_.reset();
  registry_.reset();
  log_.reset();
  std::error_code ec;
  for (const auto& dir : {dirs_.workspace, dirs_.home, dirs_.auth, dirs_.tmp})
    std::filesystem::remove_all(dir, ec);
}

void JobRunner::Execution::Sys(const std::string& text) { WriteSys(*log_, "", text); }

void JobRunner::Execution::Warn(const std::string& text) {
  warnings_.push_back(masker_->Apply(text));
  Sys("warning: " + text);
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
  cache_->AddStepEnv(env);
  for (const auto& [k, v] : image_env_) env.emplace(k, v);
  env["CI"] = "true";
  env["RAIBID_JOB_ID"] = job_.id;
  env["RAIBID_COMMIT"] = commit;
  env["RAIBID_BRANCH"] = job_.branch;
  env["RAIBID_STEP"] = step;
  env["RAIBID_WORKSPACE"] = dirs_.workspace.string();
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
  return clock_.WaitUntil(clock_.SteadyNow() + *wait, stop);
}

Result<CheckoutResult> JobRunner::Execution::CheckoutWithRetries(const StopSource& stop) {
  Backoff backoff(options_.retry);
  while (true) {
    std::error_code ec;
    std::filesystem::remove_all(dirs_.workspace, ec);  // left by an interrupted earlier attempt
    auto checkout = source_.Checkout({.url = url_,
                                      .commit = job_.commit,
                                      .branch = job_.branch,
                                      .tag = job_.tag,
                                      .workspace = dirs_.workspace},
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
      .workspace = dirs_.workspace,
      .cache_home = dirs_.home,
      .auth_dir = std::filesystem::exists(dirs_.auth, ec) ? dirs_.auth : std::filesystem::path(),
      .tmp_dir = dirs_.tmp,
      .image = PipelineImage(pipeline, options_.language_image, options_.default_image),
      .network = pipeline.network,
      .cpu = pipeline.resources.cpu,
      .memory = pipeline.resources.memory,
      .privileged = pipeline.privileged,
      .volumes = pipeline.volumes,
      .services = ServiceSpecs(pipeline),
      .step_images = StepImages(pipeline)};
  Backoff backoff(options_.retry);
  while (true) {
    auto session = executor_.Begin(env, *log_, stop);
    if (session) {
      session_ = std::move(*session);
      return std::nullopt;
    }
    if (!WaitToRetry(backoff, "executor", "preparing the job's container", session.error(), stop)) {
      const ErrorKind kind = stop.stop_requested() ? ErrorKind::kCancelled : session.error().kind;
      Failure failure{kind == ErrorKind::kCancelled ? JobState::kCancelled : JobState::kFailed,
                      kind, masker_->Apply(session.error().message), std::nullopt,
                      session.error().local};
      // An executor that cannot serve any job (an engine that does not answer) is this agent's
      // fault, whatever the job asked for.
      if (kind == ErrorKind::kInfrastructure && !executor_.Ready()) failure.local = true;
      return failure;
    }
  }
}

std::optional<JobRunner::Execution::Failure> JobRunner::Execution::MakeJobDirs() {
  // The cache home sits beside the workspace, so making it shows whether the checkout can be
  // made at all; the checkout wants its workspace not to exist yet.
  std::error_code ec;
  std::filesystem::create_directories(options_.work_dir, ec);
  if (!ec) std::filesystem::create_directories(dirs_.home, ec);
  if (!ec) return std::nullopt;
  const Error error = ErrnoError(ec, "cannot create the job's directory " + dirs_.home.string());
  return Failure{JobState::kFailed, error.kind, error.message, std::nullopt, /*local=*/true};
}

std::optional<JobRunner::Execution::Failure> JobRunner::Execution::Prepare(Pipeline* pipeline,
                                                                           std::string* commit,
                                                                           const StopSource& stop) {
  if (auto failure = MakeJobDirs()) return failure;
  Sys("checking out " + masker_->Apply(url_) + " at " +
      (!job_.commit.empty()   ? job_.commit
       : !job_.branch.empty() ? "branch " + job_.branch
                              : "tag " + job_.tag));
  auto checkout = CheckoutWithRetries(stop);
  if (!checkout) {
    return Failure{JobState::kFailed, checkout.error().kind,
                   masker_->Apply(checkout.error().message), std::nullopt, checkout.error().local};
  }
  *commit = checkout->commit_sha;
  std::vector<std::string> warnings;
  auto parsed = LoadPipeline(job_, dirs_.workspace, options_.limits, &warnings);
  for (const auto& w : warnings) Warn(w);
  if (!parsed) {
    return Failure{JobState::kFailed, ErrorKind::kInvalidPipeline, parsed.error().message, {}};
  }
  *pipeline = std::move(*parsed);
  return std::nullopt;
}

StepOutcome JobRunner::Execution::RunStep(size_t index, const Pipeline& pipeline,
                                          const std::string& commit, JobDeadline& deadline,
                                          const StopSource& stop) {
  const auto& step = pipeline.steps[index];
  CurrentLogContext().step = step.name;
  {
    MutexLock lock(&record_mu_);
    steps_[index].state = StepState::kRunning;
    steps_[index].started_at = FormatRfc3339(clock_.SystemNow());
    if (auto s = Record(index, "step " + step.name + " started"); !s) {
      spdlog::warn("{}", s.error().message);
    }
  }
  const SteadyTime t0 = clock_.SteadyNow();
  StepSpec spec{.name = step.name,
                .script = step.command,
                .workdir = dirs_.workspace,
                .env = StepEnv(pipeline, commit, step.name),
                .image = step.image,
                .disk_exceeded = [this] { return disk_->Exceeded(); }};
  if (step.timeout_minutes) {
    spec.step_timeout = Millis(static_cast<int64_t>(*step.timeout_minutes * 60'000));
  }
  StepLog sink(*log_, step.name);
  StepOutcome outcome = session_->RunStep(spec, sink, deadline, stop);
  const auto elapsed = std::chrono::duration_cast<Millis>(clock_.SteadyNow() - t0);
  observer_.StepFinished(elapsed.count() / 1000.0);
  MutexLock lock(&record_mu_);
  steps_[index].state = ToStepState(outcome.result);
  steps_[index].finished_at = FormatRfc3339(clock_.SystemNow());
  steps_[index].duration_ms = elapsed.count();
  if (outcome.exit_code >= 0) steps_[index].exit_code = outcome.exit_code;
  if (outcome.cpu_seconds) {
    steps_[index].cpu_seconds = steps_[index].cpu_seconds.value_or(0) + *outcome.cpu_seconds;
    job_cpu_seconds_ = job_cpu_seconds_.value_or(0) + *outcome.cpu_seconds;
  }
  if (outcome.peak_memory_bytes) {
    steps_[index].peak_memory_bytes =
        std::max(steps_[index].peak_memory_bytes.value_or(0), *outcome.peak_memory_bytes);
    job_peak_memory_ = std::max(job_peak_memory_.value_or(0), *outcome.peak_memory_bytes);
  }
  const std::string verdict = "step " + step.name + " " +
                              std::string(ToString(steps_[index].state)) + " in " +
                              FormatSeconds(elapsed, 1);
  if (auto s = Record(index, verdict); !s) spdlog::warn("{}", s.error().message);
  return outcome;
}

std::optional<JobRunner::Execution::Failure> JobRunner::Execution::FailureOf(
    const StepOutcome& outcome) {
  switch (outcome.result) {
    case StepResult::kSucceeded:
      return std::nullopt;
    case StepResult::kTimedOut:
      return Failure{JobState::kTimedOut, ErrorKind::kTimeout, outcome.message, outcome.exit_code};
    case StepResult::kCancelled:
      return Failure{JobState::kCancelled, ErrorKind::kCancelled, outcome.message,
                     outcome.exit_code};
    case StepResult::kError:
      return Failure{JobState::kFailed, outcome.error_kind, outcome.message, {}};
    case StepResult::kFailed:
      break;
  }
  return Failure{JobState::kFailed, ErrorKind::kStepFailed, outcome.message, outcome.exit_code};
}

StepOutcome JobRunner::Execution::RunStepWithRetries(size_t index, const Pipeline& pipeline,
                                                     const std::string& commit,
                                                     JobDeadline& deadline,
                                                     const StopSource& stop) {
  const PipelineStep& step = pipeline.steps[index];
  Backoff backoff(options_.retry);
  for (int attempt = 1;; ++attempt) {
    {
      MutexLock lock(&record_mu_);
      steps_[index].attempts = attempt;
    }
    StepOutcome outcome = RunStep(index, pipeline, commit, deadline, stop);
    if (outcome.result != StepResult::kFailed || attempt > step.retries ||
        !step.retry_on.Matches(outcome.exit_code)) {
      return outcome;
    }
    const auto wait = backoff.Next();
    if (!wait) return outcome;
    observer_.Retry("step");
    WriteSys(*log_, step.name,
             "step " + step.name + " failed with exit code " + std::to_string(outcome.exit_code) +
                 "; retry " + std::to_string(attempt) + " of " + std::to_string(step.retries) +
                 " in " + FormatSeconds(*wait, 1));
    if (!clock_.WaitUntil(clock_.SteadyNow() + *wait, stop)) return outcome;
  }
}

void JobRunner::Execution::Skip(size_t index, const std::string& reason) {
  MutexLock lock(&record_mu_);
  steps_[index].state = StepState::kSkipped;
  steps_[index].reason = reason;
  WriteSys(*log_, steps_[index].name, "step " + steps_[index].name + " skipped: " + reason);
  if (auto s = Record(index, "step " + steps_[index].name + " skipped"); !s) {
    spdlog::warn("{}", s.error().message);
  }
}

size_t JobRunner::Execution::ParallelBound(const Pipeline& pipeline) const {
  if (options_.parallel_steps > 0) return static_cast<size_t>(options_.parallel_steps);
  const std::string& cpu =
      !pipeline.resources.cpu.empty() ? pipeline.resources.cpu : options_.job_cpu_limit;
  auto nano = cpu.empty() ? Result<int64_t>(0) : ParseNanoCpus(cpu);
  const int64_t cpus = nano ? (*nano + 999'999'999) / 1'000'000'000 : 0;
  return static_cast<size_t>(std::max<int64_t>(2, cpus));
}

std::optional<JobRunner::Execution::Failure> JobRunner::Execution::RunSteps(
    const Pipeline& pipeline, const std::string& commit, JobDeadline& deadline,
    const StopSource& stop, int* exit_code) {
  StepPlan plan(pipeline.steps, job_.branch, job_.tag);
  std::optional<Failure> failure;  // the first: it decides the job's final state
  // After a timeout or a cancel, the steps for failure run on a budget of their own.
  std::optional<JobDeadline> cleanup;
  StopSource cleanup_stop;
  // Steps that are up run at the same time, each on a thread of its own, up to the bound; this
  // thread hands them out and takes their ends in the order they come.
  const size_t bound = ParallelBound(pipeline);
  Mutex ended_mu;
  CondVar ended_cv;
  std::deque<std::pair<size_t, StepOutcome>> ended;  // guarded by ended_mu
  std::map<size_t, std::thread> running;
  const LogContext context = CurrentLogContext();
  auto start = [&](size_t i, JobDeadline& step_deadline, const StopSource& step_stop) {
    running.emplace(i, std::thread([&, i, context] {
                      CurrentLogContext() = context;
                      StepOutcome outcome =
                          RunStepWithRetries(i, pipeline, commit, step_deadline, step_stop);
                      MutexLock lock(&ended_mu);
                      ended.emplace_back(i, std::move(outcome));
                      ended_cv.NotifyOne();
                    }));
  };
  while (true) {
    while (running.size() < bound) {
      auto next = plan.Take();
      if (!next) break;
      const size_t i = next->index;
      if (!next->skip_reason.empty()) {
        Skip(i, next->skip_reason);
        continue;
      }
      if (auto over = disk_->Exceeded()) {
        // What is left would only grow the files further: nothing more runs.
        Skip(i, "the job went over its disk budget");
        plan.Ended(i, true);
        if (!failure) failure = Failure{JobState::kFailed, ErrorKind::kDisk, *over, std::nullopt};
        continue;
      }
      if (stop.reason() == StopReason::kShutdown || stop.reason() == StopReason::kLeaseLost) {
        // Nothing more runs here; Finish leaves the job to another agent.
        Skip(i, "the agent stopped the job");
        plan.Ended(i, true);
        if (!failure) {
          failure = Failure{JobState::kCancelled, ErrorKind::kCancelled,
                            "the agent stopped the job", std::nullopt};
        }
        continue;
      }
      if (failure &&
          (failure->state == JobState::kTimedOut || failure->state == JobState::kCancelled)) {
        if (!cleanup) {
          cleanup.emplace(clock_,
                          std::chrono::duration_cast<Millis>(
                              std::chrono::duration<double>(options_.cleanup_minutes * 60)),
                          Millis(0));
          WriteSys(*log_, pipeline.steps[i].name,
                   "running the steps for a failed job within agent.timeout.cleanup_minutes (" +
                       FormatSeconds(cleanup->timeout(), 0) + ")");
        }
        start(i, *cleanup, cleanup_stop);
      } else {
        start(i, deadline, stop);
      }
    }
    if (running.empty()) break;
    std::pair<size_t, StepOutcome> done;
    {
      MutexLock lock(&ended_mu);
      ended_cv.Wait(&ended_mu, [&] { return !ended.empty(); });
      done = std::move(ended.front());
      ended.pop_front();
    }
    running.at(done.first).join();
    running.erase(done.first);
    const auto& [i, outcome] = done;
    const JobDeadline& used = cleanup ? *cleanup : deadline;
    OnStepEnded(i, pipeline.steps[i], outcome, clock_.SteadyNow() >= used.hard(), plan, &failure,
                exit_code);
  }
  return failure;
}

void JobRunner::Execution::OnStepEnded(size_t i, const PipelineStep& step,
                                       const StepOutcome& outcome, bool past_deadline,
                                       StepPlan& plan, std::optional<Failure>* failure,
                                       int* exit_code) {
  const bool allowed =
      outcome.result == StepResult::kFailed && step.allow_failure.Matches(outcome.exit_code);
  if (allowed) {
    MutexLock lock(&record_mu_);
    steps_[i].allowed_failure = true;
    WriteSys(*log_, step.name,
             "step " + step.name + " failed with exit code " + std::to_string(outcome.exit_code) +
                 ", which its allow_failure admits");
    (void)Record(i, "step " + step.name + " failed (allowed)");
  }
  plan.Ended(i, outcome.result == StepResult::kSucceeded || allowed);
  if (outcome.result == StepResult::kCancelled) plan.Stop("the job was cancelled");
  if (outcome.result == StepResult::kTimedOut && past_deadline) plan.Stop("the job timed out");
  if (allowed || outcome.result == StepResult::kSucceeded) {
    if (!*failure) *exit_code = 0;
  } else if (!*failure) {
    *failure = FailureOf(outcome);
    *exit_code = outcome.exit_code;
  }
}

std::optional<JobRunner::Execution::Failure> JobRunner::Execution::RunPipeline(
    const Pipeline& pipeline, const std::string& commit, JobDeadline& deadline,
    const StopSource& stop, int* exit_code) {
  for (const auto& s : pipeline.steps) steps_.push_back(StepRecord{.name = s.name});
  disk_ = std::make_unique<DiskBudget>(
      std::vector<std::filesystem::path>{dirs_.workspace, dirs_.home, dirs_.tmp},
      options_.limits.workspace_bytes, options_.disk_interval);
  std::optional<Failure> failure = BeginSession(pipeline, stop);
  if (failure) {
    for (auto& step : steps_) step.state = StepState::kSkipped;
  } else {
    disk_->Start();
    failure = RunSteps(pipeline, commit, deadline, stop, exit_code);
  }
  session_.reset();  // the job's container goes before its caches are saved
  disk_->Stop();     // a last measurement: what the last step left counts too
  if (auto over = disk_->Exceeded(); over && !failure) {
    failure = Failure{JobState::kFailed, ErrorKind::kDisk, *over, std::nullopt};
  }
  RecordUsage();
  if (failure && failure->kind == ErrorKind::kDisk) {
    // Nothing of a job past its budget is kept: no cache save, no artifacts, no files.
    std::error_code ec;
    for (const auto& dir : {dirs_.workspace, dirs_.home, dirs_.tmp})
      std::filesystem::remove_all(dir, ec);
    Sys(failure->message + "; the job's workspace was removed");
  }
  if (!failure) cache_->Save();
  if (!failure) failure = PublishArtifacts(pipeline, commit);
  return failure;
}

void JobRunner::Execution::RecordUsage() {
  const uint64_t workspace_bytes = disk_->last(0);  // dirs_.workspace, measured by Stop
  observer_.JobDisk(workspace_bytes);
  observer_.JobPeakDisk(disk_->peak());
  std::vector<std::pair<std::string, std::string>> used = {
      {"workspace_bytes", std::to_string(workspace_bytes)},
      {"peak_disk_bytes", std::to_string(disk_->peak())}};
  if (job_cpu_seconds_) {
    used.emplace_back("cpu_seconds", fmt::format("{:.3f}", *job_cpu_seconds_));
    observer_.JobCpu(*job_cpu_seconds_);
  }
  if (job_peak_memory_) {
    used.emplace_back("peak_memory_bytes", std::to_string(*job_peak_memory_));
    observer_.JobMemory(*job_peak_memory_);
  }
  (void)status_.Annotate(used);
}

std::string JobRunner::Execution::ReadLogBack() {
  log_->Flush();
  auto redis = connect_();
  if (!redis) return "";
  auto r = (*redis)->Command({"XRANGE", LogKey(job_.id), "-", "+"});
  if (!r || r->is_error()) return "";
  std::string text;
  for (const auto& e : ParseEntries(*r)) text += e.Field("data").value_or("");
  return text;
}

std::optional<JobRunner::Execution::Failure> JobRunner::Execution::PublishArtifacts(
    const Pipeline& pipeline, const std::string& commit) {
  ArtifactPublisher publisher(*registry_, options_.artifact_reference, options_.limits, *log_);
  const ArtifactOrigin origin{.job = job_,
                              .commit = commit,
                              .source_url = masker_->Apply(url_),
                              .workspace = dirs_.workspace,
                              .log = [this] { return ReadLogBack(); }};
  if (auto published = publisher.Publish(pipeline, origin, status_); !published) {
    return Failure{JobState::kFailed, published.error().kind,
                   masker_->Apply(published.error().message), std::nullopt};
  }
  return std::nullopt;
}

Result<std::optional<JobState>> JobRunner::Execution::HandBack(const std::string& reason) {
  Sys("this agent (" + options_.agent_name + ") cannot run the job: " + masker_->Apply(reason) +
      "; handing it back for another agent");
  log_->Flush();
  if (auto s = status_.HandedBack(options_.agent_name, masker_->Apply(reason)); !s) {
    return std::unexpected(s.error());
  }
  handed_back_ = masker_->Apply(reason);
  return std::optional<JobState>{};
}

Result<std::optional<JobState>> JobRunner::Execution::Finish(const std::optional<Failure>& failure,
                                                             int exit_code, SteadyTime started,
                                                             const StopSource& stop) {
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
  if (failure && failure->local && !stop.stop_requested()) return HandBack(failure->message);
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
  const auto took = [&] {
    return std::chrono::duration_cast<Millis>(clock_.SteadyNow() - started);
  };
  Sys("job " + std::string(ToString(final.state)) +
      (final.error.empty() ? "" : ": " + final.error) + " (" + FormatSeconds(took(), 1) + ")");
  log_->Flush();  // the log is complete before the state says the job ended
  final.log_lost_bytes = log_->lost_bytes();
  observer_.LogBytes(log_->stored_bytes(), log_->dropped_bytes());
  if (final.log_lost_bytes > 0) observer_.LogLost(final.log_lost_bytes);
  if (auto s = status_.Finish(final, steps_); !s) return std::unexpected(s.error());
  final_ = final;
  // Redis took the final state, so it takes writes again: the log says what it lost, if the
  // flush above could not yet.
  if (final.log_lost_bytes > 0) log_->Flush();
  observer_.JobFinished(final.state, took().count() / 1000.0);
  return std::optional<JobState>{final.state};
}

Result<std::optional<JobState>> JobRunner::Execution::Run(int64_t enqueued_ms, Millis timeout,
                                                          Millis extension,
                                                          const StopSource& stop) {
  const SteadyTime started = clock_.SteadyNow();
  JobDeadline deadline(clock_, timeout, extension);
  auto log_conn = connect_();
  if (!log_conn) return std::unexpected(log_conn.error());
  log_ = std::make_unique<RedisLogSink>(std::move(*log_conn), job_.id, options_.report, masker_);
  registry_.emplace(options_.registry, options_.limits, stop, *log_, masker_);
  cache_.emplace(options_.cache, options_.cache_remote ? &*registry_ : nullptr, options_.limits,
                 clock_, *log_, observer_);
  auto running = status_.Running(options_.agent_name, steps_);
  if (!running) return std::unexpected(running.error());
  if (!*running) {
    // Final already (cancelled while queued, or finished by another delivery): not run again.
    auto current = status_.Read();
    if (!current) return std::unexpected(current.error());
    spdlog::info("job {} is already {}; not starting it", job_.id,
                 current->state ? ToString(*current->state) : "final");
    return std::optional<JobState>{current->state.value_or(JobState::kCancelled)};
  }
  LogJobStarted(job_, status_.attempt());
  const int64_t waited_ms = UnixMillis(clock_.SystemNow()) - enqueued_ms;
  observer_.JobStarted(waited_ms / 1000.0);
  Sys("raibid-agent " + options_.agent_version + " on " + options_.agent_name + ": job " + job_.id +
      ", attempt " + std::to_string(status_.attempt()) + ", waited " + std::to_string(waited_ms) +
      " ms in the queue");
  for (const auto& note : job_.unknown_keys) Warn("job: " + note + "; ignored");

  Pipeline pipeline;
  std::string commit;
  int exit_code = -1;
  std::optional<Failure> failure = Prepare(&pipeline, &commit, stop);
  if (!warnings_.empty()) (void)status_.Annotate({{"warnings", WarningsJson(warnings_)}});
  if (!failure) {
    if (auto s = cache_->Restore(pipeline, job_, url_,
                                 {.workspace = dirs_.workspace, .home = dirs_.home});
        !s) {
      failure = Failure{JobState::kFailed, ErrorKind::kInvalidPipeline, s.error().message, {}};
    }
  }
  if (!failure) {
    image_env_ = registry_->ImagePublishingEnv(options_.image_tag, job_, commit, dirs_.auth,
                                               options_.step_login);
  }
  if (!failure) failure = RunPipeline(pipeline, commit, deadline, stop, &exit_code);
  if (auto field = cache_->StatusField()) (void)status_.Annotate({{"cache", *field}});
  return Finish(failure, exit_code, started, stop);
}

}  // namespace raibid
