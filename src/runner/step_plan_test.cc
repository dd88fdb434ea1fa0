#include "runner/step_plan.h"

#include <gtest/gtest.h>

#include <set>

namespace raibid {
namespace {

std::vector<PipelineStep> Steps(const std::string& yaml) {
  auto p = ParsePipeline(yaml, ".raibid.yaml");
  EXPECT_TRUE(p.has_value()) << p.error().message;
  return p ? p->steps : std::vector<PipelineStep>{};
}

// Hands out every step, ending each that runs with `ok` unless it is in `failing`; returns
// "name" for a step run and "name(skipped: reason)" for one skipped, in order.
std::vector<std::string> Walk(StepPlan& plan, const std::vector<PipelineStep>& steps,
                              const std::set<std::string>& failing = {}) {
  std::vector<std::string> out;
  while (auto next = plan.Take()) {
    const std::string& name = steps[next->index].name;
    if (!next->skip_reason.empty()) {
      out.push_back(name + "(skipped: " + next->skip_reason + ")");
      continue;
    }
    out.push_back(name);
    plan.Ended(next->index, !failing.contains(name));
  }
  return out;
}

constexpr const char* kFlow = R"(steps:
  - {name: build, command: x}
  - {name: lint, depends_on: [], command: x}
  - {name: test, depends_on: [build], command: x}
  - {name: publish, when: {branch: main}, command: x}
  - {name: notify, when: {status: failure}, command: x}
  - {name: report, when: {status: always}, command: x}
)";

TEST(StepPlan, ASuccessfulRunOnMainSkipsOnlyTheFailureStep) {
  const auto steps = Steps(kFlow);
  StepPlan plan(steps, "main", "");
  EXPECT_EQ(
      Walk(plan, steps),
      (std::vector<std::string>{"build", "lint", "test", "publish",
                                "notify(skipped: when.status: the job has not failed)", "report"}));
}

TEST(StepPlan, AFailureSkipsItsDependentsButRunsIndependentFailureAndAlwaysSteps) {
  const auto steps = Steps(kFlow);
  StepPlan plan(steps, "main", "");
  EXPECT_EQ(Walk(plan, steps, {"build"}),
            (std::vector<std::string>{"build", "lint", "test(skipped: step build failed)",
                                      "publish(skipped: step build failed)", "notify", "report"}));
}

TEST(StepPlan, ABranchThatDoesNotMatchSkipsTheStepWithoutFailingTheJob) {
  const auto steps = Steps(kFlow);
  StepPlan plan(steps, "feature/x", "");
  const auto walked = Walk(plan, steps);
  EXPECT_EQ(walked[3],
            "publish(skipped: when: branch feature/x matches neither when.branch nor when.tag)");
  EXPECT_FALSE(plan.failed());
}

TEST(StepPlan, DependenciesOrderTheStepsAndATimeoutRunsOnlyCleanupSteps) {
  const auto steps = Steps(R"(steps:
  - {name: deploy, depends_on: [test, lint], command: x}
  - {name: test, depends_on: [], command: x}
  - {name: lint, depends_on: [], command: x}
  - {name: cleanup, when: {status: always}, depends_on: [], command: x}
  - {name: after, command: x}
)");
  StepPlan plan(steps, "main", "");
  auto first = plan.Take();
  ASSERT_TRUE(first);
  EXPECT_EQ(steps[first->index].name, "test");
  plan.Ended(first->index, true);
  plan.Stop("the job timed out");
  EXPECT_EQ(Walk(plan, steps),
            (std::vector<std::string>{"lint(skipped: the job timed out)",
                                      "deploy(skipped: the job timed out)", "cleanup",
                                      "after(skipped: the job timed out)"}));
}

TEST(StepPlan, AFailureStepAboveWhichAStepDependsOnItStillComesUp) {
  const auto steps = Steps(R"(steps:
  - {name: a, depends_on: [c], command: x}
  - {name: b, depends_on: [], command: x}
  - {name: c, when: {status: always}, depends_on: [], command: x}
)");
  StepPlan plan(steps, "", "v1");
  EXPECT_EQ(Walk(plan, steps), (std::vector<std::string>{"b", "c", "a"}));
}

}  // namespace
}  // namespace raibid
