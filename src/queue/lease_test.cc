#include "queue/lease.h"

#include <gtest/gtest.h>

#include <thread>

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
  Leases a_leases_{*a_conn_, {.consumer = "a"}};
  Leases b_leases_{*b_conn_, {.consumer = "b"}};
};

TEST_F(LeaseTest, OwnerRenewsAndOthersClaimOnlyAfterTheLease) {
  ASSERT_TRUE(a_.EnsureGroup());
  server_.Cli({"XADD", "ci-jobs", "*", "job", "x"});
  auto got = a_.ReadNew(1, std::chrono::milliseconds(100));
  ASSERT_TRUE(got && got->size() == 1);
  const std::string id = got->front().id;
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ASSERT_TRUE(*a_leases_.Renew(id));
  // Renewed just now: not idle for 100 ms, so nobody may claim it.
  EXPECT_TRUE(b_leases_.ClaimAbandoned(std::chrono::milliseconds(100), 10)->empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  auto claimed = b_leases_.ClaimAbandoned(std::chrono::milliseconds(100), 10);
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
  ASSERT_EQ(b_leases_.ClaimAbandoned(std::chrono::milliseconds(50), 10)->size(), 1u);
  EXPECT_FALSE(*a_leases_.Renew(got->front().id));
  std::string owner = server_.Cli({"XPENDING", "ci-jobs", "ci-workers", "-", "+", "10"});
  EXPECT_NE(owner.find("\nb\n"), std::string::npos) << owner;
  EXPECT_EQ(*a_.PendingOfConsumer(), 0);
  EXPECT_EQ(*b_.PendingOfConsumer(), 1);
}

TEST_F(LeaseTest, AReleasedEntryStaysPendingAndAnotherAgentClaimsItAtOnce) {
  ASSERT_TRUE(a_.EnsureGroup());
  server_.Cli({"XADD", "ci-jobs", "*", "job", "x"});
  auto got = a_.ReadNew(1, std::chrono::milliseconds(100));
  ASSERT_TRUE(got && got->size() == 1);
  // A lease of an hour: only the release makes the entry claimable now.
  EXPECT_TRUE(b_leases_.ClaimAbandoned(std::chrono::hours(1), 10)->empty());
  ASSERT_TRUE(*a_leases_.Release(got->front().id));
  EXPECT_EQ(*a_.PendingOfConsumer(), 1);  // not acknowledged
  auto claimed = b_leases_.ClaimAbandoned(std::chrono::hours(1), 10);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ(claimed->front().Field("job"), "x");
  EXPECT_FALSE(*a_leases_.Release(got->front().id));  // b's now
}

}  // namespace
}  // namespace raibid
