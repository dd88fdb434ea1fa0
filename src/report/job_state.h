// The closed set of job and step states written to Redis (docs/reference.md, Redis keys).
#pragma once

#include <optional>
#include <string_view>

namespace raibid {

enum class JobState { kQueued, kRunning, kSucceeded, kFailed, kTimedOut, kCancelled };

std::string_view ToString(JobState state);
std::optional<JobState> ParseJobState(std::string_view text);
inline bool IsFinal(JobState s) { return s != JobState::kQueued && s != JobState::kRunning; }

enum class StepState { kPending, kRunning, kSucceeded, kFailed, kTimedOut, kCancelled, kSkipped };

std::string_view ToString(StepState state);

}  // namespace raibid
