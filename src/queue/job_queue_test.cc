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

TEST_F(JobQueueTest, AStreamKeyOfTheWrongTypeIsNamedAndNotRetryable) {
  server_.Cli({"SET", "ci-jobs", "x"});
  auto s = queue_->EnsureGroup();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "redis: WRONGTYPE on ci-jobs: the key is a string, not a stream");
  EXPECT_FALSE(s.error().retryable);  // waiting will not fix it
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

TEST_F(JobQueueTest, ConsumerLeavesTheGroupOnlyWithNothingPending) {
  ASSERT_TRUE(queue_->EnsureGroup());
  server_.Cli({"XADD", "ci-jobs", "*", "job", "x"});
  auto got = queue_->ReadNew(1, std::chrono::milliseconds(100));
  ASSERT_TRUE(got && got->size() == 1);
  EXPECT_FALSE(*queue_->RemoveConsumerIfIdle());
  ASSERT_TRUE(queue_->Ack(got->front().id));
  EXPECT_TRUE(*queue_->RemoveConsumerIfIdle());
  EXPECT_EQ(server_.Cli({"XINFO", "CONSUMERS", "ci-jobs", "ci-workers"}), "");
}

TEST_F(JobQueueTest, TrimKeepsPendingAndUndeliveredEntries) {
  ASSERT_TRUE(queue_->EnsureGroup());
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    ids.push_back((*redis_->Command({"XADD", "ci-jobs", "*", "job", std::to_string(i)})).str());
  }
  // Deliver the first 250; leave #100 pending, ack the rest of them.
  auto got = queue_->ReadNew(250, std::chrono::milliseconds(100));
  ASSERT_TRUE(got && got->size() == 250u);
  for (const auto& e : *got) {
    if (e.id == ids[100]) continue;
    ASSERT_TRUE(queue_->Ack(e.id));
  }
  ASSERT_TRUE(queue_->TrimDelivered());
  // The pending entry and everything after it survive.
  EXPECT_NE(server_.Cli({"XRANGE", "ci-jobs", ids[100], ids[100]}), "");
  EXPECT_EQ(server_.Cli({"XRANGE", "ci-jobs", ids[299], ids[299]}).empty(), false);
  EXPECT_GE(std::stoi(server_.Cli({"XLEN", "ci-jobs"})), 200);
  ASSERT_TRUE(queue_->Ack(ids[100]));
  ASSERT_TRUE(queue_->TrimDelivered());
  EXPECT_NE(server_.Cli({"XRANGE", "ci-jobs", ids[250], ids[250]}), "");
  EXPECT_LT(std::stoi(server_.Cli({"XLEN", "ci-jobs"})), 300);
}

}  // namespace
}  // namespace raibid
