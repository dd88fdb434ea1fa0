// The job parser: a stream entry's `job` field as any stranger may write it. A job that parses
// has a valid id and at least one ref; its inline pipeline goes on to the pipeline parser, as in
// the runner.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "job/job.h"
#include "pipeline/pipeline.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto job = raibid::ParseJob(text);
  if (!job) {
    FUZZ_CHECK(!job.error().message.empty(), "a refused job names why");
    if (job.error().job_id) FUZZ_CHECK(raibid::IsValidJobId(*job.error().job_id), "error job_id");
    return 0;
  }
  FUZZ_CHECK(raibid::IsValidJobId(job->id), "a parsed job has a valid id");
  FUZZ_CHECK(!job->repository.empty(), "a parsed job has a repository");
  FUZZ_CHECK(!(job->commit.empty() && job->branch.empty() && job->tag.empty()),
             "a parsed job has a commit, branch or tag");
  if (job->pipeline_text) {
    std::vector<std::string> warnings;
    (void)raibid::ParsePipeline(*job->pipeline_text, "job.pipeline", &warnings);
  }
  return 0;
}
