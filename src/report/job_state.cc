#include "report/job_state.h"

namespace raibid {

std::string_view ToString(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kSucceeded:
      return "succeeded";
    case JobState::kFailed:
      return "failed";
    case JobState::kTimedOut:
      return "timed_out";
    case JobState::kCancelled:
      return "cancelled";
  }
  return "failed";
}

std::optional<JobState> ParseJobState(std::string_view text) {
  for (auto s : {JobState::kQueued, JobState::kRunning, JobState::kSucceeded, JobState::kFailed,
                 JobState::kTimedOut, JobState::kCancelled}) {
    if (ToString(s) == text) return s;
  }
  return std::nullopt;
}

std::string_view ToString(StepState state) {
  switch (state) {
    case StepState::kPending:
      return "pending";
    case StepState::kRunning:
      return "running";
    case StepState::kSucceeded:
      return "succeeded";
    case StepState::kFailed:
      return "failed";
    case StepState::kTimedOut:
      return "timed_out";
    case StepState::kCancelled:
      return "cancelled";
    case StepState::kSkipped:
      return "skipped";
  }
  return "failed";
}

}  // namespace raibid
