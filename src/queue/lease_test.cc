#include <gtest/gtest.h>

#include <thread>

#include "queue/job_queue.h"
#include "support/redis_server.h"

namespace raibid {
namespace {

class LeaseTest : public ::testing::Test {
 protected:
  std::unique_ptr<Redis> Connect() {
    return std::move(*Redis::Connect(*ParseRedisUrl(server_.url())));
  }
  testing::RedisServer server_;
  std::unique_ptr<Redis> a_conn_ = Connect(), b_conn_ = Connect();
  JobQueue a_{*a_conn_, {.consumer = "a"}};
  JobQueue b_{*b_conn_, {.consumer = "b"}};
};

TEST_F(LeaseTest, OwnerRenewsAndOthersClaimOnlyAfterTheLease) {
  ASSERT_TRUE(a_.EnsureGroup());
  server_.Cli({"XADD", "ci-jobs", "*", "job", "x"});
  auto got = a_.ReadNew(1, std::chrono::milliseconds(100));
  ASSERT_TRUE(got && got->size() == 1);
  const std::string id = got->front().id;
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ASSERT_TRUE(*a_.RenewLease(id));
  // Renewed just now: not idle for 100 ms, so nobody may claim it.
  EXPECT_TRUE(b_.ClaimAbandoned(std::chrono::milliseconds(100), 10)->empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto claimed = b_.ClaimAbandoned(std::chrono::milliseconds(100), 10);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().Field("job"), "x");
}

TEST_F(LeaseTest, RenewalNeverTakesBackAReclaimedEntry) {
  ASSERT_TRUE(a_.EnsureGroup());
  server_.Cli({"XADD", "ci-jobs", "*", "job", "x"});
  auto got = a_.ReadNew(1, std::chrono::milliseconds(100));
  ASSERT_TRUE(got && got->size() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  ASSERT_EQ(b_.ClaimAbandoned(std::chrono::milliseconds(50), 10)->size(), 1u);
  EXPECT_FALSE(*a_.RenewLease(got->front().id));
  std::string owner = server_.Cli({"XPENDING", "ci-jobs", "ci-workers", "-", "+", "10"});
  EXPECT_NE(owner.find("\nb\n"), std::string::npos) << owner;
  EXPECT_EQ(*a_.PendingOfConsumer(), 0);
  EXPECT_EQ(*b_.PendingOfConsumer(), 1);
}

TEST_F(LeaseTest, ConsumerLeavesTheGroupOnlyWithNothingPending) {
  ASSERT_TRUE(a_.EnsureGroup());
  server_.Cli({"XADD", "ci-jobs", "*", "job", "x"});
  auto got = a_.ReadNew(1, std::chrono::milliseconds(100));
  ASSERT_TRUE(got && got->size() == 1);
  EXPECT_FALSE(*a_.RemoveConsumerIfIdle());
  ASSERT_TRUE(a_.Ack(got->front().id));
  EXPECT_TRUE(*a_.RemoveConsumerIfIdle());
  EXPECT_EQ(server_.Cli({"XINFO", "CONSUMERS", "ci-jobs", "ci-workers"}), "");
}

TEST_F(LeaseTest, TrimKeepsPendingAndUndeliveredEntries) {
  ASSERT_TRUE(a_.EnsureGroup());
  std::vector<std::string> ids;
  for (int i = 0; i < 300; ++i) {
    ids.push_back((*a_conn_->Command({"XADD", "ci-jobs", "*", "job", std::to_string(i)})).str());
  }
  // Deliver the first 250; leave #100 pending, ack the rest of them.
  auto got = a_.ReadNew(250, std::chrono::milliseconds(100));
  ASSERT_TRUE(got && got->size() == 250u);
  for (const auto& e : *got) {
    if (e.id == ids[100]) continue;
    ASSERT_TRUE(a_.Ack(e.id));
  }
  ASSERT_TRUE(a_.TrimDelivered());
  // The pending entry and everything after it survive.
  EXPECT_NE(server_.Cli({"XRANGE", "ci-jobs", ids[100], ids[100]}), "");
  EXPECT_EQ(server_.Cli({"XRANGE", "ci-jobs", ids[299], ids[299]}).empty(), false);
  EXPECT_GE(std::stoi(server_.Cli({"XLEN", "ci-jobs"})), 200);
  ASSERT_TRUE(a_.Ack(ids[100]));
  ASSERT_TRUE(a_.TrimDelivered());
  EXPECT_NE(server_.Cli({"XRANGE", "ci-jobs", ids[250], ids[250]}), "");
  EXPECT_LT(std::stoi(server_.Cli({"XLEN", "ci-jobs"})), 300);
}

}  // namespace
}  // namespace raibid
