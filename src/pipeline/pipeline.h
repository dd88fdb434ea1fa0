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

struct PipelineStep {
  std::string name;                       // non-empty, unique, at most 100 bytes, no control bytes
  std::string command;                    // a shell script; a multi-line block keeps its newlines
  std::optional<double> timeout_minutes;  // positive when set
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
