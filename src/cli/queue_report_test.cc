#include "cli/queue_report.h"

#include <gtest/gtest.h>

#include "support/redis_server.h"

namespace raibid::cli {
namespace {

class QueueReportTest : public ::testing::Test {
 protected:
  std::string Describe(const std::string& entry_id) {
    auto redis = Redis::Connect(*ParseRedisUrl(server_.url()));
    EXPECT_TRUE(redis.has_value());
    auto text = DescribeQueuePosition(**redis, {"ci-jobs", "ci-workers", entry_id});
    return text ? *text : text.error().message;
  }
  testing::RedisServer server_;
};

TEST_F(QueueReportTest, SaysWhatIsAheadAndWhetherAnAgentIsAlive) {
  server_.Cli({"XADD", "ci-jobs", "*", "job", "first"});
  const std::string ours = server_.Cli({"XADD", "ci-jobs", "*", "job", "ours"});
  EXPECT_EQ(Describe(ours), "no agent has joined consumer group ci-workers of ci-jobs yet");
  server_.Cli({"XGROUP", "CREATE", "ci-jobs", "ci-workers", "0"});
  EXPECT_EQ(Describe(ours),
            "1 entry ahead of it in ci-jobs; no agent has joined consumer group ci-workers yet");
  server_.Cli({"XGROUP", "CREATECONSUMER", "ci-jobs", "ci-workers", "a1"});
  EXPECT_EQ(Describe(ours),
            "1 entry ahead of it in ci-jobs; no live agent in consumer group ci-workers (1 known, "
            "none with a heartbeat)");
  server_.Cli({"HSET", "ci:agent:a1", "state", "busy"});
  EXPECT_EQ(Describe(ours),
            "1 entry ahead of it in ci-jobs; 1 live agent in consumer group "
            "ci-workers");
  server_.Cli({"XREADGROUP", "GROUP", "ci-workers", "a1", "COUNT", "2", "STREAMS", "ci-jobs", ">"});
  EXPECT_EQ(Describe(ours),
            "an agent has taken it from ci-jobs but not started it yet; 1 live "
            "agent in consumer group ci-workers");
}

}  // namespace
}  // namespace raibid::cli
