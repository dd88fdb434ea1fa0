// Publishing a job's artifacts: after a pipeline that succeeded, one OCI artifact per job in the
// configured registry, its files, directories and build log as layers (registry/artifact_push.h),
// listed in the status hash's `artifacts` field. Private to the runner.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "job/job.h"
#include "pipeline/pipeline.h"
#include "report/status_writer.h"
#include "runner/job_registry.h"
#include "util/error.h"
#include "util/input_limits.h"
#include "util/log_sink.h"

namespace raibid {

// The build an artifact comes from.
struct ArtifactOrigin {
  const Job& job;
  std::string commit;                // the revision built
  std::string source_url;            // masked: no credentials
  std::filesystem::path workspace;   // where the pipeline's artifact paths are
  std::function<std::string()> log;  // the job's log so far; called only when publishing
};

class ArtifactPublisher {
 public:
  // `reference_template`: where the artifact goes ("{registry}/{repository}:build-{job_id}").
  // Progress goes to `log` as sys lines. All references must outlive this.
  ArtifactPublisher(JobRegistry& registry, const std::string& reference_template,
                    const InputLimits& limits, LogSink& log);

  // Pushes the pipeline's artifact paths and the log, and lists them in `status`. Nothing to do
  // (success) without artifact paths, or without a registry (said in the log). Errors, unmasked:
  // the push's (kSource-like kinds from the registry, kInvalidJob, ...), kInfrastructure when no
  // client can be made.
  Status Publish(const Pipeline& pipeline, const ArtifactOrigin& origin, StatusWriter& status);

 private:
  JobRegistry& registry_;
  const std::string& reference_template_;
  const InputLimits& limits_;
  LogSink& log_;
};

}  // namespace raibid
