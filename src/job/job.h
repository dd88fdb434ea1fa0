// A build job as submitted to the stream (docs/reference.md, A job), parsed and checked for shape.
// Source-specific checks (repository URL, ref names) belong to the source module and run in the
// runner; both end as `invalid_job`.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/input_limits.h"

namespace raibid {

struct Job {
  std::string id;
  std::string repository;
  std::string commit, branch, tag;  // at least one; commit wins
  // The inline pipeline as compact JSON (which is YAML); its errors name key paths
  // ("job.pipeline.steps[1].command: required"), not positions in this re-printed text.
  std::optional<std::string> pipeline_text;
  std::optional<double> timeout_minutes;
  bool cache_enabled = true;
  std::map<std::string, std::string> env;
  // `secret_env` (an extension): variables like `env` whose values are secret: masked in the
  // log, the status, error messages and the agent's log, as the agent's own credentials are.
  std::map<std::string, std::string> secret_env;
  // Top-level keys the agent does not know, one note each, sorted by name: "unknown key
  // 'brnach' (did you mean 'branch'?)"; past kMaxUnknownKeyNotes, a last note "and N more
  // unknown keys". The job runs without them (the agent warns in its log and status).
  std::vector<std::string> unknown_keys;
};

inline constexpr size_t kMaxUnknownKeyNotes = 10;

// The keys of a job message (docs/reference.md, A job).
extern const std::vector<std::string_view> kJobKeys;

// Why a job could not be taken. `job_id` is set when the entry had a usable one: then the job is
// failed under that id; without one the entry can only be dead-lettered.
struct JobError {
  std::optional<std::string> job_id;
  std::string message;
};

// Parses and checks one job message. When a required key is missing or a value is wrong, the
// message also names the unknown keys, with their near known name: "commit, branch or tag: at
// least one is required; unknown key 'brnach' (did you mean 'branch'?)". Past `limits` (job_bytes,
// json_depth, env_bytes for the job's own `env`) the job is refused with a message naming the limit
// and its configuration key, e.g. "job message of 2.0 MiB is over agent.limits.job_bytes (1 MiB)";
// the message size is checked before parsing, and a job nested too deeply still fails under its id.
std::expected<Job, JobError> ParseJob(std::string_view text, const InputLimits& limits = {});

// 1-128 of [A-Za-z0-9._-].
bool IsValidJobId(std::string_view id);

// "job-" and 16 random hex digits.
std::string GenerateJobId();

}  // namespace raibid
