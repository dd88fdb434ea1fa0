#include "queue/job_queue.h"

#include <gtest/gtest.h>

#include "support/redis_server.h"

namespace raibid {
namespace {

class JobQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ep = ParseRedisUrl(server_.url());
    ASSERT_TRUE(ep);
    auto conn = Redis::Connect(*ep);
    ASSERT_TRUE(conn) << conn.error().message;
    redis_ = std::move(*conn);
    queue_ = std::make_unique<JobQueue>(*redis_, QueueNames{.consumer = "agent-1"});
  }
  testing::RedisServer server_;
  std::unique_ptr<Redis> redis_;
  std::unique_ptr<JobQueue> queue_;
};

TEST_F(JobQueueTest, EnsureGroupCreatesStreamAndIsIdempotent) {
  ASSERT_TRUE(queue_->EnsureGroup());
  ASSERT_TRUE(queue_->EnsureGroup());
  EXPECT_NE(server_.Cli({"XINFO", "GROUPS", "ci-jobs"}).find("ci-workers"), std::string::npos);
}

TEST_F(JobQueueTest, JobsQueuedBeforeTheGroupExistsAreDelivered) {
  server_.Cli({"XADD", "ci-jobs", "*", "job", "{\"a\":1}"});
  ASSERT_TRUE(queue_->EnsureGroup());
  auto entries = queue_->ReadNew(1, std::chrono::milliseconds(100));
  ASSERT_TRUE(entries);
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ(entries->front().Field("job"), "{\"a\":1}");
  EXPECT_GT(entries->front().EnqueuedAtMillis(), 1'600'000'000'000);
}

TEST_F(JobQueueTest, BlockingReadTimesOutEmpty) {
  ASSERT_TRUE(queue_->EnsureGroup());
  auto entries = queue_->ReadNew(1, std::chrono::milliseconds(50));
  ASSERT_TRUE(entries);
  EXPECT_TRUE(entries->empty());
}

TEST_F(JobQueueTest, UnackedEntriesStayPendingUntilAcked) {
  ASSERT_TRUE(queue_->EnsureGroup());
  server_.Cli({"XADD", "ci-jobs", "*", "job", "x"});
  auto entries = queue_->ReadNew(1, std::chrono::milliseconds(100));
  ASSERT_TRUE(entries && entries->size() == 1);
  auto pending = queue_->ReadOwnPending(10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().id, entries->front().id);
  ASSERT_TRUE(queue_->Ack(entries->front().id));
  EXPECT_EQ(server_.Cli({"XPENDING", "ci-jobs", "ci-workers"}).substr(0, 1), "0");
}

TEST_F(JobQueueTest, DeadLetterCopiesFieldsAndAcks) {
  ASSERT_TRUE(queue_->EnsureGroup());
  server_.Cli({"XADD", "ci-jobs", "*", "job", "not json"});
  auto entries = queue_->ReadNew(1, std::chrono::milliseconds(100));
  ASSERT_TRUE(entries && entries->size() == 1);
  ASSERT_TRUE(queue_->DeadLetter(entries->front(), "job is not valid JSON", 1));
  std::string dead = server_.Cli({"XRANGE", "ci-jobs:dead", "-", "+"});
  EXPECT_NE(dead.find("not json"), std::string::npos);
  EXPECT_NE(dead.find("job is not valid JSON"), std::string::npos);
  EXPECT_EQ(server_.Cli({"XPENDING", "ci-jobs", "ci-workers"}).substr(0, 1), "0");
}

TEST_F(JobQueueTest, TrimmedPendingEntryIsMarkedDeleted) {
  ASSERT_TRUE(queue_->EnsureGroup());
  server_.Cli({"XADD", "ci-jobs", "*", "job", "x"});
  auto entries = queue_->ReadNew(1, std::chrono::milliseconds(100));
  ASSERT_TRUE(entries && entries->size() == 1);
  server_.Cli({"XDEL", "ci-jobs", entries->front().id});
  auto pending = queue_->ReadOwnPending(10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_TRUE(pending->front().deleted);
}

TEST(RedisUrl, ParsesHostPortPasswordAndDb) {
  auto ep = ParseRedisUrl("redis://:s3cret@redis.local:6380/2");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->host, "redis.local");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->password, "s3cret");
  EXPECT_EQ(ep->db, 2);
  EXPECT_EQ(ParseRedisUrl("redis://redis")->port, 6379);
  EXPECT_EQ(ParseRedisUrl("unix:///run/redis.sock")->unix_socket, "/run/redis.sock");
}

TEST(RedisUrl, RejectsOtherSchemesClearly) {
  EXPECT_FALSE(ParseRedisUrl("http://x"));
  auto tls = ParseRedisUrl("rediss://x:1");
  ASSERT_FALSE(tls);
  EXPECT_NE(tls.error().message.find("TLS"), std::string::npos);
  EXPECT_FALSE(ParseRedisUrl("redis://host:99999"));
}

TEST(RedisConnect, UnreachableServerIsRetryableInfrastructureError) {
  auto conn = Redis::Connect({.port = testing::FreePort()}, std::chrono::milliseconds(500));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().kind, ErrorKind::kInfrastructure);
  EXPECT_TRUE(conn.error().retryable);
}

}  // namespace
}  // namespace raibid
