// Where a job's pipeline comes from: its inline `pipeline`, else `.raibid.yaml` at the root of
// the checked-out workspace (read through util/path_guard.h: a symlink is followed only while it
// stays inside the workspace, and what is read must be a regular file). Private to the runner.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "job/job.h"
#include "pipeline/pipeline.h"
#include "util/input_limits.h"

namespace raibid {

inline constexpr const char* kPipelineFile = ".raibid.yaml";

// The pipeline of `job`, parsed within `limits` (the file is refused past pipeline_bytes before
// it is read), and checked against the limits that involve the job as well: the job's and the
// pipeline's env together within env_bytes. Every error is kInvalidPipeline naming what failed.
// Parser warnings are appended to `warnings`.
Result<Pipeline> LoadPipeline(const Job& job, const std::filesystem::path& workspace,
                              const InputLimits& limits, std::vector<std::string>* warnings);

}  // namespace raibid
