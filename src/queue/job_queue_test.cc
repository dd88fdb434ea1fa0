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

namespace raibid {
namespace {

class PlatformQueuesTest : public JobQueueTest {
 protected:
  QueueNames Names() const {
    return {.group = "ci-workers", .consumer = "arm-1", .streams = {"q:arm64", "q:amd64"}};
  }
};

TEST_F(PlatformQueuesTest, OneReadTakesEntriesOfEveryStreamEachNamingItsStream) {
  JobQueue queue(*redis_, Names());
  ASSERT_TRUE(queue.EnsureGroup());
  server_.Cli({"XADD", "q:amd64", "*", "job", "x86"});
  server_.Cli({"XADD", "q:arm64", "*", "job", "arm"});
  server_.Cli({"XADD", "ci-jobs", "*", "job", "other"});
  auto entries = queue.ReadNew(5, std::chrono::milliseconds(100));
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].stream, "q:arm64");
  EXPECT_EQ((*entries)[0].Field("job"), "arm");
  EXPECT_EQ((*entries)[1].stream, "q:amd64");
  JobQueue amd(*redis_, Names().For("q:amd64"));
  ASSERT_TRUE(amd.Ack((*entries)[1].id));
  EXPECT_EQ(server_.Cli({"XPENDING", "q:amd64", "ci-workers"}).substr(0, 1), "0");
  EXPECT_EQ(server_.Cli({"XPENDING", "q:arm64", "ci-workers"}).substr(0, 1), "1");
}

TEST_F(PlatformQueuesTest, TheConsumerLeavesEveryStreamOnlyWhenNothingIsPendingOnAny) {
  JobQueue queue(*redis_, Names());
  ASSERT_TRUE(queue.EnsureGroup());
  server_.Cli({"XADD", "q:amd64", "*", "job", "x86"});
  ASSERT_TRUE(queue.ReadNew(1, std::chrono::milliseconds(100)));
  EXPECT_EQ(queue.PendingOfConsumer().value(), 1);
  EXPECT_FALSE(queue.RemoveConsumerIfIdle().value());
  auto own = queue.ReadOwnPending(10);
  ASSERT_TRUE(own && own->size() == 1);
  ASSERT_TRUE(JobQueue(*redis_, Names().For(own->front().stream)).Ack(own->front().id));
  EXPECT_TRUE(queue.RemoveConsumerIfIdle().value());
  EXPECT_EQ(server_.Cli({"XINFO", "CONSUMERS", "q:arm64", "ci-workers"}), "");
}

TEST_F(PlatformQueuesTest, AWrongTypeKeyAmongTheStreamsIsNamed) {
  JobQueue queue(*redis_, Names());
  ASSERT_TRUE(queue.EnsureGroup());
  server_.Cli({"DEL", "q:amd64"});
  server_.Cli({"SET", "q:amd64", "x"});
  auto entries = queue.ReadNew(1, std::chrono::milliseconds(50));
  ASSERT_FALSE(entries);
  EXPECT_EQ(entries.error().message,
            "redis: WRONGTYPE on q:amd64: the key is a string, not a stream");
}

}  // namespace
}  // namespace raibid
