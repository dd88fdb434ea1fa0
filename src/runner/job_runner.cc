#include "runner/job_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "report/status_writer.h"
#include "runner/execution.h"
#include "source/ref_name.h"
#include "source/repository_url.h"
#include "util/log_context.h"

namespace raibid {
namespace {

Millis Minutes(double minutes) {
  return Millis(static_cast<int64_t>(std::llround(minutes * 60'000.0)));
}

// The source-specific checks of a job that parsed; an error message naming the field.
Status ValidateSource(const Job& job, const std::string& base_url, std::string* url) {
  auto resolved = ResolveRepositoryUrl(job.repository, base_url);
  if (!resolved) return std::unexpected(resolved.error());
  *url = *resolved;
  return ValidateRefs(job.commit, job.branch, job.tag);
}

}  // namespace

std::pair<Millis, Millis> JobRunner::TimeoutFor(const Job& job) const {
  double minutes = job.timeout_minutes.value_or(options_.default_timeout_minutes);
  minutes = std::min(minutes, options_.max_timeout_minutes);
  double extension = minutes * options_.timeout_extension_percent / 100.0;
  extension = std::clamp(extension, 0.0, options_.max_timeout_minutes - minutes);
  return {Minutes(minutes), Minutes(extension)};
}

RunResult JobRunner::RejectEntry(const StreamEntry& entry, JobQueue& queue,
                                 const std::string& reason) {
  spdlog::warn("stream entry {} is unusable ({}); moving it to {}", entry.id, reason,
               queue.names().dead_stream());
  if (auto s = queue.DeadLetter(entry, reason, 1); !s) {
    return {.message = s.error().message};
  }
  observer_->DeadLettered();
  return {.disposition = Disposition::kDeadLettered, .message = reason};
}

RunResult JobRunner::GiveUp(const StreamEntry& entry, JobQueue& queue, StatusWriter& status,
                            const StatusWriter::Current& current) {
  const int attempts = current.attempts;
  std::string reason = "gave up after " + std::to_string(attempts) +
                       " deliveries that never finished (the agent running it stopped each time)";
  ErrorKind kind = ErrorKind::kDeadLetter;
  // Every agent that took the job found a fault of its own: the job never ran anywhere.
  if (!current.handbacks.empty() && std::ssize(current.handbacks) >= attempts) {
    kind = ErrorKind::kInfrastructure;
    reason = "no agent could run it in " + std::to_string(attempts) + " deliveries";
    for (const auto& h : current.handbacks) reason += "; " + h.agent + ": " + h.reason;
  }
  FinalStatus final{.state = JobState::kFailed, .error_kind = kind, .error = reason};
  spdlog::warn("entry {}: {}; moving it to {}", entry.id, reason, queue.names().dead_stream());
  if (auto s = queue.DeadLetter(entry, reason, attempts, status.FinishCommands(final, {})); !s) {
    return {.message = s.error().message};
  }
  observer_->DeadLettered();
  return {.disposition = Disposition::kDeadLettered, .state = JobState::kFailed, .message = reason};
}

RunResult JobRunner::Run(const StreamEntry& entry, Redis& redis, JobQueue& queue,
                         StopSource& stop) {
  if (entry.deleted) {
    spdlog::warn("pending entry {} has no data left in the stream; acknowledging it", entry.id);
    if (auto s = queue.Ack(entry.id); !s) return {.message = s.error().message};
    return {.disposition = Disposition::kAcked, .message = "entry was trimmed"};
  }
  auto raw = entry.Field("job");
  if (!raw) return RejectEntry(entry, queue, "entry has no 'job' field");
  auto job = ParseJob(*raw, options_.limits);
  if (!job && !job.error().job_id) return RejectEntry(entry, queue, job.error().message);

  // A job that does not parse has an id here all the same (checked above).
  const std::string job_id = job ? job->id : job.error().job_id.value_or("");
  ScopedLogContext log_context(job_id);
  StatusWriter status(redis, options_.report, job_id);
  RunResult result{.job_id = job_id};
  if (job) {
    result.repository = job->repository;
    result.ref = !job->branch.empty() ? job->branch : job->tag;
    result.commit = job->commit;
  }
  // Registered before the hash is read, so a cancel published from here on reaches the job.
  CancelRegistration registration(&cancels_, job_id, &stop);
  auto current = status.Read();
  if (!current) {
    return {.disposition = Disposition::kNotStarted,
            .job_id = job_id,
            .message = current.error().message};
  }
  if (const std::optional<JobState> stored = current->state; stored && IsFinal(*stored)) {
    spdlog::info("job {} is already {}; acknowledging without running", job_id, ToString(*stored));
    result.state = stored;
  } else if (current->attempts >= options_.max_deliveries) {
    RunResult r = GiveUp(entry, queue, status, *current);
    r.job_id = job_id;
    return r;
  } else if (current->cancel_requested) {
    FinalStatus final{.state = JobState::kCancelled,
                      .error_kind = ErrorKind::kCancelled,
                      .error = "cancelled before it started"};
    if (auto s = status.Finish(final, {}); !s)
      return {.job_id = job_id, .message = s.error().message};
    result.state = JobState::kCancelled;
    result.error_kind = final.error_kind;
    result.message = final.error;
  } else {
    std::string url;
    Status valid = job ? ValidateSource(*job, options_.git_base_url, &url)
                       : Fail(ErrorKind::kInvalidJob, job.error().message);
    if (!valid) {
      FinalStatus final{.state = JobState::kFailed,
                        .error_kind = ErrorKind::kInvalidJob,
                        .error = options_.masker.Apply(valid.error().message)};
      spdlog::warn("job {} is invalid: {}", job_id, final.error);
      if (auto s = status.Finish(final, {}); !s)
        return {.job_id = job_id, .message = s.error().message};
      observer_->JobFinished(JobState::kFailed, 0);
      result.state = JobState::kFailed;
      result.error_kind = final.error_kind;
      result.message = final.error;
    } else {
      auto [timeout, extension] = TimeoutFor(*job);
      Execution execution(options_, source_, executor_, connect_, *observer_, clock_, status, *job,
                          url);
      auto state = execution.Run(entry.EnqueuedAtMillis(), timeout, extension, stop);
      result.attempt = status.attempt();
      result.message = state ? std::string(execution.final_status().error) : state.error().message;
      if (state && !*state && !execution.handed_back().empty()) {
        result.disposition = Disposition::kHandedBack;
        result.message = execution.handed_back();
        return result;
      }
      if (state && !*state) result.message = "interrupted by shutdown; left pending";
      if (!state || !*state) return result;
      result.state = *state;
      result.error_kind = execution.final_status().error_kind;
    }
  }
  if (auto s = queue.Ack(entry.id); !s) return {.job_id = job_id, .message = s.error().message};
  result.disposition = Disposition::kAcked;
  return result;
}

}  // namespace raibid
