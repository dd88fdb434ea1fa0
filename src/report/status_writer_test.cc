#include "report/status_writer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/redis_server.h"

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
  ASSERT_TRUE(w.Running("agent-1", steps));
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
  ASSERT_TRUE(w.Running("a", {}));
  StatusWriter again(*redis_, {}, "j1");
  ASSERT_TRUE(again.Running("b", {}));
  EXPECT_EQ(again.attempt(), 2);
}

}  // namespace
}  // namespace raibid
