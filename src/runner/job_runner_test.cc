// The runner's decisions about a job, on a fake executor, a fake checkout and simulated time,
// with the job's status and log in a real redis-server: what a failing step, a retryable
// failure, a stop (cancel, drain, lost lease) and the timeouts do to the job.
#include "runner/job_runner.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <functional>

#include "report/status_writer.h"
#include "runner/fake_executor_test_util.h"
#include "runner/fake_source_test_util.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"
#include "util/fake_clock_test_util.h"

namespace raibid {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// A job with `steps` (name, command pairs as JSON objects) and `extra` fields.
std::string JobJson(const std::string& id, const std::string& steps,
                    const std::string& extra = "") {
  return R"({"job_id": ")" + id + R"(", "repository": "acme/app", "branch": "main", )" + extra +
         R"("pipeline": {"steps": [)" + steps + "]}}";
}

std::string Step(const std::string& name) {
  return R"({"name": ")" + name + R"(", "command": "make )" + name + R"("})";
}

class JobRunnerTest : public ::testing::Test {
 protected:
  RunResult Run(const std::string& job_json) {
    const std::string id = redis_.Cli({"XADD", "ci-jobs", "*", "job", job_json});
    const auto endpoint = *ParseRedisUrl(redis_.url());
    auto connection = Redis::Connect(endpoint);
    EXPECT_TRUE(connection.has_value());
    JobQueue queue(**connection, {});
    JobRunner runner(
        options_, source_, executor_, [endpoint] { return Redis::Connect(endpoint); }, nullptr,
        clock_);
    return runner.Run({.id = id, .fields = {{"job", job_json}}}, **connection, queue, stop_);
  }
  std::string Field(const std::string& job_id, const std::string& field) const {
    return redis_.Cli({"HGET", JobKey(job_id), field});
  }
  std::string Log(const std::string& job_id) const {
    return redis_.Cli({"XRANGE", LogKey(job_id), "-", "+"});
  }
  static size_t Count(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }

  testing::RedisServer redis_;
  testing::TempDir dir_;
  FakeClock clock_;
  FakeSource source_;
  FakeExecutor executor_;
  StopSource stop_;
  RunnerOptions options_{.agent_name = "test-agent",
                         .agent_version = "test",
                         .work_dir = dir_.path() / "work",
                         .git_base_url = "https://git.example",
                         .retry = {.initial = seconds(1), .max_retries = 5, .jitter = 0}};
};

TEST_F(JobRunnerTest, AllStepsSucceedingEndsSucceededAndAcknowledged) {
  RunResult r = Run(JobJson("ok", Step("a") + "," + Step("b")));
  EXPECT_EQ(r.disposition, Disposition::kAcked);
  EXPECT_EQ(r.state, JobState::kSucceeded);
  EXPECT_EQ(executor_.steps_run(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Field("ok", "state"), "succeeded");
  EXPECT_EQ(Field("ok", "exit_code"), "0");
  EXPECT_EQ(executor_.env_of("b").at("RAIBID_COMMIT"), FakeSource::kCommit);
}

TEST_F(JobRunnerTest, UnknownJobKeysAreWarnedInTheLogAndTheStatus) {
  RunResult r = Run(JobJson("typo", Step("a"), R"("timout_minutes": 0.05, )"));
  EXPECT_EQ(r.state, JobState::kSucceeded);  // still runs, with the default timeout
  const std::string warning =
      "job: unknown key 'timout_minutes' (did you mean 'timeout_minutes'?); ignored";
  EXPECT_NE(Log("typo").find("warning: " + warning), std::string::npos) << Log("typo");
  EXPECT_EQ(nlohmann::json::parse(Field("typo", "warnings")), nlohmann::json::array({warning}));
  RunResult clean = Run(JobJson("clean", Step("a")));
  EXPECT_EQ(Field("clean", "warnings"), "");
}

TEST_F(JobRunnerTest, StepsAfterAFailedStepAreSkippedAndNeverRun) {
  executor_.Script("b", {.exit_code = 3});
  RunResult r = Run(JobJson("fail", Step("a") + "," + Step("b") + "," + Step("c")));
  EXPECT_EQ(r.state, JobState::kFailed);
  EXPECT_EQ(executor_.steps_run(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Field("fail", "error_kind"), "step_failed");
  EXPECT_EQ(Field("fail", "exit_code"), "3");
  const std::string steps = Field("fail", "steps");
  EXPECT_NE(steps.find(R"("name":"b","state":"failed")"), std::string::npos) << steps;
  EXPECT_NE(steps.find(R"("name":"c","state":"skipped")"), std::string::npos) << steps;
}

TEST_F(JobRunnerTest, AStepThatCannotRunFailsTheJobAsInfrastructure) {
  executor_.Script("a", {.infrastructure_error = true});
  RunResult r = Run(JobJson("infra", Step("a") + "," + Step("b")));
  EXPECT_EQ(r.state, JobState::kFailed);
  EXPECT_EQ(Field("infra", "error_kind"), "infrastructure");
  EXPECT_EQ(executor_.steps_run(), std::vector<std::string>{"a"});
}

TEST_F(JobRunnerTest, RetryableExecutorErrorIsRetriedAfterOneThenTwoSeconds) {
  executor_.FailBegin({ErrorKind::kInfrastructure, "engine down", true});
  executor_.FailBegin({ErrorKind::kInfrastructure, "engine down", true});
  RunResult r = Run(JobJson("retried", Step("a")));
  EXPECT_EQ(r.state, JobState::kSucceeded);
  EXPECT_EQ(executor_.begins(), 3);
  EXPECT_EQ(clock_.waits(), (std::vector<Millis>{seconds(1), seconds(2)}));
  EXPECT_NE(Log("retried").find("engine down; retrying in 2.0s (retry 2)"), std::string::npos);
}

TEST_F(JobRunnerTest, NonRetryableExecutorErrorFailsTheJobWithoutWaiting) {
  executor_.FailBegin({ErrorKind::kInvalidPipeline, "network host is not allowed", false});
  RunResult r = Run(JobJson("refused", Step("a") + "," + Step("b")));
  EXPECT_EQ(r.state, JobState::kFailed);
  EXPECT_EQ(executor_.begins(), 1);
  EXPECT_TRUE(clock_.waits().empty());
  EXPECT_TRUE(executor_.steps_run().empty());
  EXPECT_EQ(Field("refused", "error_kind"), "invalid_pipeline");
  EXPECT_EQ(Count(Field("refused", "steps"), R"("state":"skipped")"), 2u);
}

TEST_F(JobRunnerTest, RetryableCheckoutErrorsBackOffOneToSixteenSecondsThenFail) {
  for (int i = 0; i < 6; ++i) source_.FailCheckout({ErrorKind::kSource, "remote hung up", true});
  RunResult r = Run(JobJson("unreachable", Step("a")));
  EXPECT_EQ(r.state, JobState::kFailed);
  EXPECT_EQ(source_.checkouts(), 6);
  EXPECT_EQ(clock_.waits(),
            (std::vector<Millis>{seconds(1), seconds(2), seconds(4), seconds(8), seconds(16)}));
  EXPECT_EQ(Field("unreachable", "error_kind"), "source");
  EXPECT_EQ(executor_.begins(), 0);
}

TEST_F(JobRunnerTest, AFullDiskAtCheckoutHandsTheJobBackInsteadOfFailingIt) {
  // Out of space is retried (room may come back); this disk stays full.
  for (int i = 0; i < 6; ++i) source_.FailCheckout(ErrnoError(ENOSPC, "cannot write /w/full"));
  RunResult r = Run(JobJson("full", Step("a")));
  EXPECT_EQ(r.disposition, Disposition::kHandedBack);
  EXPECT_FALSE(r.state.has_value());
  EXPECT_NE(r.message.find("No space left on device"), std::string::npos) << r.message;
  EXPECT_EQ(Field("full", "state"), "queued");
  EXPECT_EQ(Field("full", "error_kind"), "");
  const std::string handbacks = Field("full", "handbacks");
  EXPECT_NE(handbacks.find(R"("agent":"test-agent","attempt":1)"), std::string::npos) << handbacks;
  EXPECT_NE(Log("full").find("this agent (test-agent) cannot run the job"), std::string::npos);
  EXPECT_TRUE(executor_.steps_run().empty());
}

TEST_F(JobRunnerTest, AWorkDirectoryThatCannotBeMadeHandsTheJobBack) {
  testing::WriteFile(dir_.path() / "file", "not a directory\n");
  options_.work_dir = dir_.path() / "file" / "work";
  RunResult r = Run(JobJson("nodir", Step("a")));
  EXPECT_EQ(r.disposition, Disposition::kHandedBack);
  EXPECT_NE(r.message.find("Not a directory"), std::string::npos) << r.message;
  EXPECT_EQ(source_.checkouts(), 0);
  EXPECT_NE(Field("nodir", "handbacks").find("Not a directory"), std::string::npos);
}

TEST_F(JobRunnerTest, AnEngineThatStaysDownHandsTheJobBackAfterItsRetries) {
  for (int i = 0; i < 6; ++i) executor_.FailBegin({ErrorKind::kInfrastructure, "refused", true});
  executor_.SetReady(Fail(ErrorKind::kInfrastructure, "engine at /run/podman.sock unreachable"));
  RunResult r = Run(JobJson("engine", Step("a")));
  EXPECT_EQ(r.disposition, Disposition::kHandedBack);
  EXPECT_EQ(executor_.begins(), 6);
  EXPECT_EQ(Field("engine", "state"), "queued");
}

TEST_F(JobRunnerTest, AJobEveryAgentHandedBackFailsAsInfrastructureNamingThem) {
  options_.max_deliveries = 2;
  for (int i = 0; i < 2; ++i) {
    source_.FailCheckout(ErrnoError(EROFS, "cannot write"));
    ASSERT_EQ(Run(JobJson("nowhere", Step("a"))).disposition, Disposition::kHandedBack);
  }
  RunResult r = Run(JobJson("nowhere", Step("a")));
  EXPECT_EQ(r.disposition, Disposition::kDeadLettered);
  EXPECT_EQ(Field("nowhere", "state"), "failed");
  EXPECT_EQ(Field("nowhere", "error_kind"), "infrastructure");
  EXPECT_NE(Field("nowhere", "error").find("no agent could run it in 2 deliveries; test-agent: "),
            std::string::npos)
      << Field("nowhere", "error");
}

TEST_F(JobRunnerTest, LeaseLostMidStepStopsTheJobAndWritesNothingFinal) {
  executor_.Script("a",
                   {.hang = true, .on_start = [&] { stop_.RequestStop(StopReason::kLeaseLost); }});
  RunResult r = Run(JobJson("taken", Step("a") + "," + Step("b")));
  EXPECT_EQ(r.disposition, Disposition::kLeftPending);
  EXPECT_FALSE(r.state.has_value());
  EXPECT_EQ(Field("taken", "state"), "running");
  EXPECT_EQ(executor_.steps_run(), std::vector<std::string>{"a"});
  EXPECT_NE(Log("taken").find("lease lost: another agent took this job over"), std::string::npos);
}

// The drain comes as a step ends by itself: the next step is never started, and the job is not
// called succeeded.
TEST_F(JobRunnerTest, DrainBetweenStepsLeavesTheJobRunningAndPending) {
  executor_.Script("a", {.on_start = [&] { stop_.RequestStop(StopReason::kShutdown); }});
  RunResult r = Run(JobJson("between", Step("a") + "," + Step("b")));
  EXPECT_EQ(r.disposition, Disposition::kLeftPending);
  EXPECT_EQ(Field("between", "state"), "running");
  EXPECT_EQ(executor_.steps_run(), std::vector<std::string>{"a"});
}

TEST_F(JobRunnerTest, DrainDuringAStepLeavesTheJobRunningAndPending) {
  executor_.Script("a",
                   {.hang = true, .on_start = [&] { stop_.RequestStop(StopReason::kShutdown); }});
  RunResult r = Run(JobJson("drained", Step("a") + "," + Step("b")));
  EXPECT_EQ(r.disposition, Disposition::kLeftPending);
  EXPECT_FALSE(r.state.has_value());
  EXPECT_EQ(Field("drained", "state"), "running");
  EXPECT_EQ(Field("drained", "finished_at"), "");
  EXPECT_NE(Log("drained").find("interrupted by agent shutdown"), std::string::npos);
}

TEST_F(JobRunnerTest, AJobCancelledWhileQueuedIsAcknowledgedWithoutRunning) {
  auto connection = Redis::Connect(*ParseRedisUrl(redis_.url()));
  ASSERT_TRUE(connection);
  StatusWriter status(**connection, {}, "early");
  ASSERT_TRUE(status.Queued("acme/app"));
  ASSERT_EQ(status.Cancel()->outcome, StatusWriter::CancelOutcome::kCancelled);
  RunResult r = Run(JobJson("early", Step("a")));
  EXPECT_EQ(r.disposition, Disposition::kAcked);
  EXPECT_EQ(r.state, JobState::kCancelled);
  EXPECT_TRUE(executor_.steps_run().empty());
  EXPECT_EQ(Field("early", "attempt"), "");
}

TEST_F(JobRunnerTest, CancelDuringAStepEndsTheJobCancelled) {
  executor_.Script("a",
                   {.hang = true, .on_start = [&] { stop_.RequestStop(StopReason::kCancelled); }});
  RunResult r = Run(JobJson("cancelled", Step("a") + "," + Step("b")));
  EXPECT_EQ(r.disposition, Disposition::kAcked);
  EXPECT_EQ(r.state, JobState::kCancelled);
  EXPECT_EQ(Field("cancelled", "error_kind"), "cancelled");
}

TEST_F(JobRunnerTest, SoftTimeoutWarnsOnceAndExtendsThenTheHardTimeoutKills) {
  options_.timeout_extension_percent = 10;
  executor_.Script("a", {.hang = true});
  RunResult r = Run(JobJson("slow", Step("a") + "," + Step("b"), R"("timeout_minutes": 10, )"));
  EXPECT_EQ(r.state, JobState::kTimedOut);
  EXPECT_EQ(clock_.elapsed(), minutes(11));
  const std::string log = Log("slow");
  EXPECT_EQ(Count(log, "warning: job reached its timeout of 10m; extended once by 1m"), 1u) << log;
  EXPECT_EQ(Field("slow", "error_kind"), "timeout");
  EXPECT_NE(Field("slow", "error").find("job timeout of 10m (extended by 1m) reached"),
            std::string::npos);
  EXPECT_EQ(executor_.steps_run(), std::vector<std::string>{"a"});
}

TEST_F(JobRunnerTest, StepTimeoutEndsTheJobTimedOutBeforeTheJobTimeout) {
  executor_.Script("a", {.hang = true});
  RunResult r = Run(
      JobJson("step-slow", R"({"name": "a", "command": "sleep 600", "timeout_minutes": 2})", ""));
  EXPECT_EQ(r.state, JobState::kTimedOut);
  EXPECT_EQ(clock_.elapsed(), minutes(2));
  EXPECT_NE(Field("step-slow", "error").find("step timeout of 2m reached"), std::string::npos);
}

TEST_F(JobRunnerTest, StepTimesComeFromTheInjectedClock) {
  RunResult r = Run(JobJson("stamped", Step("a")));
  EXPECT_EQ(r.state, JobState::kSucceeded);
  const std::string steps = Field("stamped", "steps");
  EXPECT_NE(steps.find(R"("started_at":"2026-01-01T00:00:00.000Z")"), std::string::npos) << steps;
}

// A step with extra keys: Step("notify", R"("when": {"status": "failure"})").
std::string Step(const std::string& name, const std::string& extra) {
  return R"({"name": ")" + name + R"(", "command": "make )" + name + R"(", )" + extra + "}";
}

TEST_F(JobRunnerTest, AStepAllowedToFailIsRecordedAndTheJobSucceeds) {
  executor_.Script("docs", {.exit_code = 2});
  RunResult r = Run(JobJson("allowed", Step("docs", R"("allow_failure": [2])") + "," + Step("b")));
  EXPECT_EQ(r.state, JobState::kSucceeded);
  EXPECT_EQ(executor_.steps_run(), (std::vector<std::string>{"docs", "b"}));
  EXPECT_EQ(Field("allowed", "exit_code"), "0");
  const auto steps = nlohmann::json::parse(Field("allowed", "steps"));
  EXPECT_EQ(steps[0]["state"], "failed");
  EXPECT_EQ(steps[0]["exit_code"], 2);
  EXPECT_EQ(steps[0]["allowed_failure"], true);
  EXPECT_NE(
      Log("allowed").find("step docs failed with exit code 2, which its allow_failure admits"),
      std::string::npos);
}

TEST_F(JobRunnerTest, AFlakyStepIsRetriedAfterTheBackoffAndItsAttemptsCounted) {
  int runs = 0;
  executor_.Script("test", {.exit_code = 101, .on_start = [&] {
                              if (++runs == 2)
                                executor_.Script("test", {});  // from the third run on
                            }});
  RunResult r = Run(JobJson("flaky", Step("test", R"("retry": {"max": 3, "exit_codes": [101]})")));
  EXPECT_EQ(r.state, JobState::kSucceeded);
  EXPECT_EQ(clock_.waits(), (std::vector<Millis>{seconds(1), seconds(2)}));
  const auto steps = nlohmann::json::parse(Field("flaky", "steps"));
  EXPECT_EQ(steps[0]["attempts"], 3);
  EXPECT_EQ(steps[0]["state"], "succeeded");
  EXPECT_NE(Log("flaky").find("step test failed with exit code 101; retry 2 of 3 in 2.0s"),
            std::string::npos);
}

TEST_F(JobRunnerTest, AnExitCodeRetryDoesNotCoverIsNotRetried) {
  executor_.Script("test", {.exit_code = 1});
  RunResult r =
      Run(JobJson("no-retry", Step("test", R"("retry": {"max": 3, "exit_codes": [101]})")));
  EXPECT_EQ(r.state, JobState::kFailed);
  EXPECT_EQ(executor_.steps_run().size(), 1u);
  EXPECT_TRUE(clock_.waits().empty());
}

const std::string kNotify = R"("when": {"status": "failure"})";

TEST_F(JobRunnerTest, AFailureStepRunsAfterAFailureAndTheJobStaysFailed) {
  executor_.Script("a", {.exit_code = 3});
  executor_.Script("notify", {.exit_code = 9});
  RunResult r =
      Run(JobJson("notified", Step("a") + "," + Step("b") + "," + Step("notify", kNotify)));
  EXPECT_EQ(r.state, JobState::kFailed);
  EXPECT_EQ(executor_.steps_run(), (std::vector<std::string>{"a", "notify"}));
  EXPECT_EQ(Field("notified", "exit_code"), "3");  // the step that failed the job
  const auto steps = nlohmann::json::parse(Field("notified", "steps"));
  EXPECT_EQ(steps[1]["state"], "skipped");
  EXPECT_EQ(steps[1]["reason"], "step a failed");
}

TEST_F(JobRunnerTest, AFailureStepIsSkippedWhenTheJobSucceeds) {
  RunResult r = Run(JobJson("fine", Step("a") + "," + Step("notify", kNotify)));
  EXPECT_EQ(r.state, JobState::kSucceeded);
  EXPECT_EQ(executor_.steps_run(), std::vector<std::string>{"a"});
  const auto steps = nlohmann::json::parse(Field("fine", "steps"));
  EXPECT_EQ(steps[1]["reason"], "when.status: the job has not failed");
}

TEST_F(JobRunnerTest, AfterATimeoutTheFailureStepRunsOnTheCleanupBudget) {
  options_.timeout_extension_percent = 0;
  options_.cleanup_minutes = 3;
  executor_.Script("a", {.hang = true});
  executor_.Script("notify", {.hang = true});
  RunResult r =
      Run(JobJson("late", Step("a") + "," + Step("notify", kNotify), R"("timeout_minutes": 10, )"));
  EXPECT_EQ(r.state, JobState::kTimedOut);
  EXPECT_EQ(executor_.steps_run(), (std::vector<std::string>{"a", "notify"}));
  EXPECT_EQ(clock_.elapsed(), minutes(13));  // the job's 10, then the cleanup's 3
  EXPECT_NE(Field("late", "error").find("job timeout of 10m reached"), std::string::npos);
}

TEST_F(JobRunnerTest, AfterACancelTheFailureStepStillRuns) {
  executor_.Script("a",
                   {.hang = true, .on_start = [&] { stop_.RequestStop(StopReason::kCancelled); }});
  RunResult r =
      Run(JobJson("stopped", Step("a") + "," + Step("b") + "," + Step("notify", kNotify)));
  EXPECT_EQ(r.state, JobState::kCancelled);
  EXPECT_EQ(executor_.steps_run(), (std::vector<std::string>{"a", "notify"}));
  const auto steps = nlohmann::json::parse(Field("stopped", "steps"));
  EXPECT_EQ(steps[1]["reason"], "the job was cancelled");
  EXPECT_EQ(steps[2]["state"], "succeeded");
}

TEST_F(JobRunnerTest, AStepForAnotherBranchIsSkippedSayingWhy) {
  RunResult r = Run(JobJson(
      "branch",
      Step("a") + "," + Step("publish", R"("when": {"branch": ["release/*"]})") + "," + Step("c")));
  EXPECT_EQ(r.state, JobState::kSucceeded);
  EXPECT_EQ(executor_.steps_run(), (std::vector<std::string>{"a", "c"}));
  const auto steps = nlohmann::json::parse(Field("branch", "steps"));
  EXPECT_EQ(steps[1]["reason"], "when: branch main matches neither when.branch nor when.tag");
  EXPECT_NE(Log("branch").find("step publish skipped: when: branch main"), std::string::npos);
}

TEST_F(JobRunnerTest, StepsRunInTheOrderTheirDependenciesAllow) {
  RunResult r = Run(JobJson("dag", Step("deploy", R"("depends_on": ["build", "test"])") + "," +
                                       Step("build", R"("depends_on": [])") + "," + Step("test")));
  EXPECT_EQ(r.state, JobState::kSucceeded);
  EXPECT_EQ(executor_.steps_run(), (std::vector<std::string>{"build", "test", "deploy"}));
}

// Each of the two steps waits (up to a deadline) for the other to be running too.
struct Overlap {
  std::atomic<int> started{0};
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  std::function<void()> Step(std::chrono::milliseconds patience) {
    return [this, patience] {
      ++started;
      const int now = ++inside;
      most = std::max(most.load(), now);
      testing::WaitFor([&] { return started.load() >= 2; }, patience);
      most = std::max(most.load(), inside.load());
      --inside;
    };
  }
};

TEST_F(JobRunnerTest, IndependentStepsRunAtTheSameTime) {
  Overlap overlap;
  executor_.Script("lint", {.on_start = overlap.Step(seconds(10))});
  executor_.Script("test", {.on_start = overlap.Step(seconds(10))});
  RunResult r = Run(JobJson("fan", Step("lint", R"("depends_on": [])") + "," +
                                       Step("test", R"("depends_on": [])") + "," +
                                       Step("after", R"("depends_on": ["lint", "test"])")));
  EXPECT_EQ(r.state, JobState::kSucceeded);
  EXPECT_EQ(overlap.most, 2);
  EXPECT_EQ(executor_.steps_run().back(), "after");
}

TEST_F(JobRunnerTest, NoMoreStepsRunAtOnceThanTheBound) {
  options_.parallel_steps = 1;
  Overlap overlap;
  executor_.Script("lint", {.on_start = overlap.Step(std::chrono::milliseconds(200))});
  executor_.Script("test", {.on_start = overlap.Step(std::chrono::milliseconds(200))});
  RunResult r = Run(JobJson(
      "one", Step("lint", R"("depends_on": [])") + "," + Step("test", R"("depends_on": [])")));
  EXPECT_EQ(r.state, JobState::kSucceeded);
  EXPECT_EQ(overlap.most, 1);
}

TEST_F(JobRunnerTest, AFailedStepSkipsItsDependentsWhileAnIndependentStepRuns) {
  executor_.Script("build", {.exit_code = 2});
  RunResult r = Run(JobJson(
      "dag-fail", Step("build") + "," + Step("test") + "," + Step("lint", R"("depends_on": [])")));
  EXPECT_EQ(r.state, JobState::kFailed);
  auto ran = executor_.steps_run();
  std::sort(ran.begin(), ran.end());
  EXPECT_EQ(ran, (std::vector<std::string>{"build", "lint"}));
  const auto steps = nlohmann::json::parse(Field("dag-fail", "steps"));
  EXPECT_EQ(steps[1]["reason"], "step build failed");
  EXPECT_EQ(steps[2]["state"], "succeeded");
}

}  // namespace
}  // namespace raibid
