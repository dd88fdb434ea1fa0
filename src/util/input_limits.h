// The bounds on what input from outside may cost the agent: a job message, its pipeline, the
// files a job publishes or caches, the HTTP answers kept in memory. Each field is the
// configuration key `agent.limits.<field>` (docs/configuration.md, "Limits"). Past a limit the
// job fails with an error naming the limit and its key ("job message of 2.0 MiB is over
// agent.limits.job_bytes (1 MiB)"); a cache entry past one is only not saved or not restored.
// Nothing else is affected: the agent and its other jobs go on.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace raibid {

struct InputLimits {
  uint64_t job_bytes = 1 << 20;                // a job message (the `job` field of a stream entry)
  uint64_t json_depth = 64;                    // arrays and objects nested in a job message
  uint64_t pipeline_bytes = 1 << 20;           // a `.raibid.yaml`, or a job's inline pipeline
  uint64_t yaml_depth = 64;                    // lists and maps nested in a pipeline
  uint64_t yaml_nodes = 100000;                // values, lists and maps in a pipeline
  uint64_t steps = 1000;                       // steps in a pipeline
  uint64_t services = 10;                      // services of a pipeline (docker executor)
  uint64_t images = 10;                        // distinct per-step images of a pipeline
  uint64_t command_bytes = 64 << 10;           // one step's command
  uint64_t env_bytes = 64 << 10;               // names and values of the job's and pipeline's env
  uint64_t artifacts = 1000;                   // files and directories a job publishes
  uint64_t artifact_bytes = 10ull << 30;       // their total size, as published
  uint64_t cache_archive_bytes = 20ull << 30;  // one cache entry's contents, uncompressed
  uint64_t cache_entries = 1000000;            // files, directories and links in one cache entry
  uint64_t http_response_bytes = 4 << 20;      // an HTTP answer body the agent keeps in memory
  uint64_t workspace_bytes = 10ull << 30;      // a job's workspace, cache home and TMPDIR
};

// "agent.limits.job_bytes".
std::string LimitKey(std::string_view name);

// How a message names a limit: "agent.limits.job_bytes (1 MiB)", "agent.limits.steps (1000)".
std::string SizeLimitText(std::string_view name, uint64_t limit);
std::string CountLimitText(std::string_view name, uint64_t limit);

// FormatBytes (util/text.h) of `size`, with the exact byte count added when `size` is just past
// `limit` and the rounded text could read like it: "1.0 MiB (1048577 bytes)".
std::string SizeNear(uint64_t size, uint64_t limit);

// "2.0 MiB is over agent.limits.job_bytes (1 MiB)", the size as SizeNear gives it.
std::string SizeOverLimit(uint64_t size, std::string_view name, uint64_t limit);

// The bytes of an environment's names and values (what `env_bytes` bounds).
uint64_t EnvBytes(const std::map<std::string, std::string>& env);

}  // namespace raibid
