// The order and the fate of a pipeline's steps: which step comes next, and whether it runs or is
// skipped, and why. Pure decisions, no I/O: the execution runs what this hands out.
//
// The rules (docs/pipeline.md, Conditions and order):
// - A step comes up once every step in its depends_on has ended (without depends_on: the step
//   above it), and, when its `when.status` includes failure (failure or always), once every step
//   above it has ended too, so it knows how the job went. Of the steps that are up, the first in
//   the file goes first.
// - A step whose `when.branch` / `when.tag` does not match the job's ref is skipped (this does not
//   fail the job, and steps depending on it still run).
// - The job has failed once a step failed and was not allowed to, or the job timed out or was
//   cancelled. A step whose status is failure runs only then (else it is skipped); one whose
//   status is always runs either way.
// - A step whose status is success (the default) is skipped, saying why, when a step it depends
//   on failed or was skipped for that reason, and after a timeout or a cancel. An independent
//   step (depends_on: []) still runs after a failure elsewhere.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipeline/pipeline.h"

namespace raibid {

class StepPlan {
 public:
  // `steps` must outlive the plan; `branch` / `tag` are the job's ref (either may be empty).
  StepPlan(const std::vector<PipelineStep>& steps, std::string branch, std::string tag);

  struct Next {
    size_t index = 0;
    std::string skip_reason;  // empty: run it
  };
  // The next step to decide, or nullopt when every step has been handed out. A step handed out
  // to run must be reported with Ended before the plan hands out what waits for it.
  std::optional<Next> Take();
  // A step handed out to run ended; `ok`: it succeeded, or failed where it was allowed to.
  void Ended(size_t index, bool ok);
  // The job was stopped: it timed out or was cancelled ("the job timed out"). Only steps whose
  // status includes failure run from now on.
  void Stop(std::string why);
  bool failed() const { return !why_failed_.empty(); }

 private:
  // Whether the step's dependencies have ended (and, `strict`, every step above a failure step:
  // `first_open` is the first step that has not ended).
  bool Up(size_t index, bool strict, size_t first_open) const;
  std::string SkipReason(size_t index) const;

  const std::vector<PipelineStep>& steps_;
  const std::string branch_, tag_;
  std::vector<bool> taken_, ended_;
  std::vector<std::string> broken_;  // why a step failed or was skipped for a failure; else empty
  std::string why_failed_;           // empty while the job has not failed
  std::string why_stopped_;          // empty unless the job timed out or was cancelled
};

}  // namespace raibid
