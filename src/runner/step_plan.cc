#include "runner/step_plan.h"

#include <algorithm>

namespace raibid {

StepPlan::StepPlan(const std::vector<PipelineStep>& steps, std::string branch, std::string tag)
    : steps_(steps),
      branch_(std::move(branch)),
      tag_(std::move(tag)),
      taken_(steps.size(), false),
      ended_(steps.size(), false),
      broken_(steps.size()) {}

bool StepPlan::Up(size_t index, bool strict, size_t first_open) const {
  const PipelineStep& step = steps_[index];
  if (!std::all_of(step.depends_on.begin(), step.depends_on.end(),
                   [&](size_t dep) { return ended_[dep]; })) {
    return false;
  }
  if (!strict || !step.when.AfterAllAbove()) return true;
  return index <= first_open;  // every step above it has ended
}

std::string StepPlan::SkipReason(size_t index) const {
  const StepCondition& when = steps_[index].when;
  if (!when.Matches(branch_, tag_)) {
    const std::string ref = !branch_.empty() ? "branch " + branch_
                            : !tag_.empty()  ? "tag " + tag_
                                             : "a commit without branch or tag";
    return "when: " + ref + " matches neither when.branch nor when.tag";
  }
  if (!failed() && !when.on_success) return "when.status: the job has not failed";
  if (when.on_failure) return failed() || when.on_success ? "" : why_failed_;
  // A success step: skipped after a timeout or a cancel, and when a step it waits for failed.
  if (!why_stopped_.empty()) return why_stopped_;
  for (size_t dep : steps_[index].depends_on) {
    if (!broken_[dep].empty()) return broken_[dep];
  }
  return "";
}

std::optional<StepPlan::Next> StepPlan::Take() {
  // Not strict only when a step above a failure step depends on it (directly or not): then the
  // failure step cannot wait for everything above it.
  // The first step that has not ended: a failure step at or before it has nothing above it open.
  const size_t first_open =
      static_cast<size_t>(std::find(ended_.begin(), ended_.end(), false) - ended_.begin());
  for (const bool strict : {true, false}) {
    for (size_t i = 0; i < steps_.size(); ++i) {
      if (taken_[i] || !Up(i, strict, first_open)) continue;
      taken_[i] = true;
      Next next{.index = i, .skip_reason = SkipReason(i)};
      if (!next.skip_reason.empty()) {
        ended_[i] = true;
        // Its dependents are skipped for the same reason; a step skipped by its ref is not.
        if (steps_[i].when.Matches(branch_, tag_)) broken_[i] = next.skip_reason;
      }
      return next;
    }
  }
  return std::nullopt;
}

void StepPlan::Ended(size_t index, bool ok) {
  ended_[index] = true;
  if (ok) return;
  broken_[index] = "step " + steps_[index].name + " failed";
  if (!failed()) why_failed_ = broken_[index];
}

void StepPlan::Stop(std::string why) {
  if (why_stopped_.empty()) why_stopped_ = why;
  if (!failed()) why_failed_ = std::move(why);
}

}  // namespace raibid
