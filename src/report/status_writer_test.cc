#include "report/status_writer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>

#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

class StatusWriterTest : public ::testing::Test {
 protected:
  void SetUp() override { redis_ = std::move(*Redis::Connect(*ParseRedisUrl(server_.url()))); }
  std::string Field(const std::string& f) { return server_.Cli({"HGET", "ci:job:j1", f}); }
  testing::RedisServer server_;
  std::unique_ptr<Redis> redis_;
};

TEST_F(StatusWriterTest, LifecycleWritesHashEventsAndTtl) {
  StatusWriter w(*redis_, {}, "j1");
  ASSERT_TRUE(w.Queued("a/b"));
  EXPECT_EQ(w.Read()->state, JobState::kQueued);
  EXPECT_FALSE(w.Read()->cancel_requested);
  std::vector<StepRecord> steps = {{.name = "build"}};
  ASSERT_EQ(w.Running("agent-1", steps), true);
  EXPECT_EQ(w.attempt(), 1);
  EXPECT_EQ(Field("state"), "running");
  EXPECT_EQ(Field("log_stream"), "ci:logs:j1");
  steps[0].state = StepState::kSucceeded;
  steps[0].exit_code = 0;
  steps[0].duration_ms = 12;
  ASSERT_TRUE(w.StepChanged(steps, 0, "step build succeeded"));
  ASSERT_TRUE(w.Finish({.state = JobState::kSucceeded, .exit_code = 0}, steps));
  EXPECT_EQ(Field("state"), "succeeded");
  EXPECT_EQ(Field("exit_code"), "0");
  auto parsed = nlohmann::json::parse(Field("steps"));
  EXPECT_EQ(parsed[0]["state"], "succeeded");
  EXPECT_EQ(parsed[0]["duration_ms"], 12);
  EXPECT_EQ(server_.Cli({"XLEN", "ci-status"}), "4");
  EXPECT_GT(std::stoll(server_.Cli({"TTL", "ci:job:j1"})), 6 * 86400);
  // RFC 3339 with milliseconds, UTC.
  std::string finished = Field("finished_at");
  ASSERT_EQ(finished.size(), 24u);
  EXPECT_EQ(finished[19], '.');
  EXPECT_EQ(finished.back(), 'Z');
}

TEST_F(StatusWriterTest, FailureCarriesKindAndMessage) {
  StatusWriter w(*redis_, {}, "j1");
  ASSERT_TRUE(w.Finish({.state = JobState::kFailed,
                        .error_kind = ErrorKind::kInvalidJob,
                        .error = "repository: required"},
                       {}));
  EXPECT_EQ(Field("state"), "failed");
  EXPECT_EQ(Field("error_kind"), "invalid_job");
  EXPECT_EQ(Field("error"), "repository: required");
  EXPECT_NE(
      server_.Cli({"XREVRANGE", "ci-status", "+", "-", "COUNT", "1"}).find("repository: required"),
      std::string::npos);
}

TEST_F(StatusWriterTest, SecondRunIncrementsAttempt) {
  StatusWriter w(*redis_, {}, "j1");
  ASSERT_EQ(w.Running("a", {}), true);
  StatusWriter again(*redis_, {}, "j1");
  ASSERT_EQ(again.Running("b", {}), true);
  EXPECT_EQ(again.attempt(), 2);
}

TEST_F(StatusWriterTest, CancellingAQueuedJobIsFinalAtOnceAndNoAgentStartsIt) {
  StatusWriter w(*redis_, {}, "j1");
  ASSERT_TRUE(w.Queued("a/b"));
  auto cancel = w.Cancel();
  ASSERT_TRUE(cancel) << cancel.error().message;
  EXPECT_EQ(cancel->outcome, StatusWriter::CancelOutcome::kCancelled);
  EXPECT_EQ(Field("state"), "cancelled");
  EXPECT_EQ(Field("error_kind"), "cancelled");
  EXPECT_EQ(w.Running("agent-1", {}), false);  // the agent that reads the entry later
  EXPECT_EQ(Field("state"), "cancelled");
  EXPECT_EQ(Field("attempt"), "");
}

TEST_F(StatusWriterTest, CancellingARunningJobOnlyAsksForIt) {
  StatusWriter w(*redis_, {}, "j1");
  ASSERT_TRUE(w.Queued("a/b"));
  ASSERT_EQ(w.Running("agent-1", {}), true);
  auto cancel = w.Cancel();
  ASSERT_TRUE(cancel) << cancel.error().message;
  EXPECT_EQ(cancel->outcome, StatusWriter::CancelOutcome::kRequested);
  EXPECT_EQ(Field("state"), "running");
  EXPECT_EQ(Field("cancel_requested"), "1");
  EXPECT_EQ(StatusWriter(*redis_, {}, "gone").Cancel()->outcome,
            StatusWriter::CancelOutcome::kNotFound);
}

// An agent starting a queued job while someone cancels it: exactly one of them wins.
TEST_F(StatusWriterTest, ACancelRacingAnAgentsStartNeverLetsBothWin) {
  const auto endpoint = *ParseRedisUrl(server_.url());
  auto agent_conn = Redis::Connect(endpoint);
  ASSERT_TRUE(agent_conn);
  for (int i = 0; i < 100; ++i) {
    const std::string id = "race-" + std::to_string(i);
    ASSERT_TRUE(StatusWriter(*redis_, {}, id).Queued("a/b"));
    Result<bool> started = false;
    std::thread agent([&] { started = StatusWriter(**agent_conn, {}, id).Running("a", {}); });
    auto cancel = StatusWriter(*redis_, {}, id).Cancel();
    agent.join();
    ASSERT_TRUE(started && cancel);
    const std::string state = server_.Cli({"HGET", JobKey(id), "state"});
    if (*started) {
      EXPECT_EQ(cancel->outcome, StatusWriter::CancelOutcome::kRequested) << id;
      EXPECT_EQ(state, "running") << id;
    } else {
      EXPECT_EQ(cancel->outcome, StatusWriter::CancelOutcome::kCancelled) << id;
      EXPECT_EQ(state, "cancelled") << id;
    }
  }
}

TEST_F(StatusWriterTest, AFinalStateRedisRefusesIsRetriedUntilItLands) {
  auto faults = std::make_shared<RedisFaultBoard>();
  ReportSettings settings{
      .refused_retry = {.initial = Millis(10), .max_retries = -1, .cap = Millis(50)},
      .faults = faults};
  StatusWriter w(*redis_, settings, "j1");
  server_.Cli({"CONFIG", "SET", "maxmemory", "1"});  // with noeviction: every write refused
  std::atomic<bool> done{false};
  std::jthread finish([&] {
    EXPECT_TRUE(w.Finish({.state = JobState::kSucceeded, .log_lost_bytes = 7}, {}));
    done = true;
  });
  ASSERT_TRUE(testing::WaitFor([&] { return faults->Current().has_value(); }));
  EXPECT_EQ(faults->Current()->substr(0, 23), "redis: OOM on ci:job:j1");
  EXPECT_FALSE(done);
  server_.Cli({"CONFIG", "SET", "maxmemory", "0"});
  finish.join();
  EXPECT_EQ(Field("state"), "succeeded");
  EXPECT_EQ(Field("log_lost_bytes"), "7");
  EXPECT_EQ(faults->Current(), std::nullopt);
}

TEST_F(StatusWriterTest, AConfigurationFaultGivesUpAfterItsRetries) {
  server_.Cli({"SET", "ci:job:j1", "x"});
  ReportSettings settings{.redis_retry = {.initial = Millis(1), .max_retries = 2}};
  StatusWriter w(*redis_, settings, "j1");
  auto s = w.Finish({.state = JobState::kSucceeded}, {});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("WRONGTYPE on ci:job:j1"), std::string::npos)
      << s.error().message;
}

}  // namespace
}  // namespace raibid
