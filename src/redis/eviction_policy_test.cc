#include "redis/eviction_policy.h"

#include <gtest/gtest.h>

#include "support/redis_server.h"

namespace raibid {
namespace {

class EvictionPolicyTest : public ::testing::Test {
 protected:
  testing::RedisServer server_;
  std::unique_ptr<Redis> redis_ = std::move(*Redis::Connect(*ParseRedisUrl(server_.url())));
};

TEST_F(EvictionPolicyTest, ReadsThePolicyAndOnlyNoevictionKeepsKeys) {
  EXPECT_EQ(ReadEvictionPolicy(*redis_).value(), "noeviction");
  EXPECT_FALSE(MayEvict("noeviction"));
  redis_->Command({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"});
  EXPECT_EQ(ReadEvictionPolicy(*redis_).value(), "allkeys-lru");
  EXPECT_TRUE(MayEvict("allkeys-lru"));
}

TEST_F(EvictionPolicyTest, AUserWithoutConfigReadsNoPolicy) {
  redis_->Command({"ACL", "SETUSER", "ci", "on", ">pw", "~*", "+@all", "-config"});
  redis_->Command({"AUTH", "ci", "pw"});
  auto policy = ReadEvictionPolicy(*redis_);
  ASSERT_TRUE(policy);
  EXPECT_EQ(*policy, std::nullopt);
}

}  // namespace
}  // namespace raibid
