// A pipeline: the steps of a job, from a `.raibid.yaml` at the repository root or from the job's
// inline `pipeline` (JSON, which YAML reads as well). Parsing only checks the shape; running the
// steps is the executor's business.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"
#include "util/error.h"
#include "util/input_limits.h"

namespace raibid {

// The exit codes `allow_failure` or `retry` applies to: any failure, or those listed.
struct ExitCodes {
  bool any = false;
  std::vector<int> codes;  // 1..255
  bool Matches(int exit_code) const;
  bool empty() const { return !any && codes.empty(); }
};

// `when:` of a step. It runs when the job's ref matches (a branch glob of `branch`, or a tag glob
// of `tag`; no condition given: any ref) and the job's course so far is one `status` names.
struct StepCondition {
  std::vector<std::string> branches, tags;  // fnmatch(3) globs
  bool on_success = true;                   // status: success (the default) or always
  bool on_failure = false;                  // status: failure or always
  bool Matches(std::string_view branch, std::string_view tag) const;
  // Whether it waits for every step above it (status failure or always: it must know how
  // the job went).
  bool AfterAllAbove() const { return on_failure; }
};

struct PipelineStep {
  std::string name;                       // non-empty, unique, at most 100 bytes, no control bytes
  std::string command;                    // a shell script; a multi-line block keeps its newlines
  std::optional<double> timeout_minutes;  // positive when set
  StepCondition when;
  ExitCodes allow_failure;  // exit codes that fail the step but not the job
  int retries = 0;          // retry.max (0..5): runs again after a failure in `retry_on`
  ExitCodes retry_on;       // retry.exit_codes; `retry: N` retries any failure
  // depends_on, as indices of other steps; without it the step above (none for the first).
  std::vector<size_t> depends_on;
  std::string image;  // the step's own image (docker executor); empty: the pipeline's
};

// `services:` entry (docker executor): a container beside the job's, reached by name.
struct PipelineService {
  std::string name;  // a host name: [a-z0-9] and inner '-', at most 63 bytes; unique
  std::string image;
  std::map<std::string, std::string> env;
  std::vector<std::string> command;  // the container's command; empty: the image's
  std::optional<int> ready_port;     // ready.port, 1..65535
  std::string ready_command;         // ready.command, a shell command run in the service
  int ready_timeout_seconds = 60;    // ready.timeout_seconds
};

struct Pipeline {
  std::string language, rust_version, image;
  std::vector<std::string> cache_paths;          // cache.paths
  std::string cache_key;                         // cache.key (empty: derived, see docs/caches.md)
  std::vector<std::string> cache_fallback_keys;  // cache.fallback_keys
  std::string cache_policy = "pull-push";        // cache.policy: pull-push | pull | push
  std::map<std::string, std::string> env;   // env: names [A-Za-z_][A-Za-z0-9_]*, values as text
  std::vector<std::string> artifact_paths;  // artifacts.paths
  std::string network = "none";             // network: none | bridge (docker executor)
  ResourceSpec resources;                   // resources.{cpu,memory}: capped by the agent's limits
  bool privileged = false;                  // privileged: true (only where the agent allows it)
  std::vector<std::string> volumes;         // volumes: ["/host/path:/in/container[:ro]"] (likewise)
  std::vector<PipelineStep> steps;          // at least one
  std::vector<PipelineService> services;    // services: (docker executor)
};

// Parses a `.raibid.yaml`, or the JSON text of an inline pipeline. Errors are kind
// kInvalidPipeline with a message "FILE:LINE:COL: key.path: message", e.g.
// ".raibid.yaml:4:5: steps[1].command: required" (steps are counted from 0).
//
// The shape: `steps` is required, a non-empty list of maps, each with a non-empty `name` (unique)
// and a non-empty `command`, and optionally `timeout_minutes`, a positive number. `language`,
// `rust_version` and `image` are values; `cache.paths` and `artifacts.paths` lists of non-empty
// values; `env` a map of variable names to values (numbers and booleans as written; an empty
// value is ""). Commands and env values must not contain NUL bytes (they go to execve).
//
// Unknown keys are allowed for forward compatibility: each appends a warning
// "steps[0].retries (line 7): unknown key, ignored" to `warnings` when it is not null, with
// " (did you mean 'command'?)" when a key of that map is near.
// `privileged` a boolean; `volumes` a list of "HOST:CONTAINER[:ro]" (both absolute; whether the
// agent allows them is the executor's decision). `network` is `none` or `bridge`; `resources.cpu`
// like 2, 0.5 or 500m; `resources.memory` a size.
//
// Steps may also have `when` ({branch, tag: a glob or a list of globs; status: success, failure,
// always or a list of them}), `allow_failure` (true, or a list of exit codes), `retry` (1 to 5, or
// {max, exit_codes}) and `depends_on` (a list of step names; [] starts with the first step). A
// depends_on naming no step, a step twice or itself, or making a cycle is an error naming the
// step, as is a glob that does not parse (an unclosed `[`).
//
// `services` is a list of {name, image, env, command (a list of words), ready: {port, command,
// timeout_seconds}}; a step's `image` names its own image. At most agent.limits.services
// services and agent.limits.images distinct step images.
//
// `limits` bounds the document (pipeline_bytes, yaml_nodes, yaml_depth: checked before the
// document is read), the number of steps, each command's length and the `env` (its names and
// values); past one the error names the limit and its key: ".raibid.yaml:3:3: steps: 1001 steps
// are more than agent.limits.steps (1000)".
Result<Pipeline> ParsePipeline(std::string_view text, std::string_view filename,
                               std::vector<std::string>* warnings = nullptr,
                               const InputLimits& limits = {});

// The same for a job's inline `pipeline`, which the agent printed from the job's JSON: errors and
// warnings name the key path under `key` without a position (nothing in the user's own text
// would match it): "job.pipeline.steps[1].command: required".
Result<Pipeline> ParseEmbeddedPipeline(std::string_view text, std::string_view key,
                                       std::vector<std::string>* warnings = nullptr,
                                       const InputLimits& limits = {});

// The image the `docker` executor runs a pipeline in: its `image`; else, with a `language`, the
// template with {language} and {version} replaced (the version is `rust_version` for rust,
// else "latest"): "raibid/{language}-builder:{version}" gives raibid/rust-builder:1.75.0; else
// `fallback` (the agent's `image`). Empty when none applies.
std::string PipelineImage(const Pipeline& pipeline, std::string_view language_template,
                          std::string_view fallback);

}  // namespace raibid
