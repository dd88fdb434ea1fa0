// Sentinel discovery against real redis-sentinel processes watching a real master and replica.
#include "redis/sentinel.h"

#include <gtest/gtest.h>

#include <thread>

#include "redis/redis.h"
#include "support/redis_sentinels.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using std::chrono::seconds;

TEST(RedisUrl, ParsesSentinelAddressesMasterNameAndDatabase) {
  auto ep = ParseRedisUrl("redis+sentinel://agent:pw@s1:26380,s2/mymaster/2");
  ASSERT_TRUE(ep) << ep.error().message;
  ASSERT_TRUE(ep->sentinel);
  EXPECT_EQ(ep->sentinel->addresses, (std::vector<HostPort>{{"s1", 26380}, {"s2", 26379}}));
  EXPECT_EQ(ep->sentinel->master_name, "mymaster");
  EXPECT_EQ(ep->username, "agent");
  EXPECT_EQ(ep->password, "pw");
  EXPECT_EQ(ep->db, 2);
  EXPECT_FALSE(ParseRedisUrl("redis+sentinel://s1:26379"));
  EXPECT_FALSE(ParseRedisUrl("redis+sentinel://s1:x/m"));
}

TEST(Sentinel, ConnectsToTheMasterTheSentinelsName) {
  testing::RedisSentinels cluster;
  auto redis = Redis::Connect(*ParseRedisUrl(cluster.url()));
  ASSERT_TRUE(redis) << redis.error().message;
  EXPECT_EQ((*redis)->endpoint().port, cluster.master().port());
  ASSERT_TRUE((*redis)->Command({"SET", "k", "v"}));
  EXPECT_EQ(cluster.master().Cli({"GET", "k"}), "v");
  EXPECT_NE(Describe((*redis)->endpoint()).find("master raibid-master via sentinels"),
            std::string::npos);
}

TEST(Sentinel, NamesEverySentinelWhenNoneAnswers) {
  const int a = testing::FreePort(), b = testing::FreePort();
  auto redis = Redis::Connect(*ParseRedisUrl("redis+sentinel://127.0.0.1:" + std::to_string(a) +
                                             ",127.0.0.1:" + std::to_string(b) + "/m"));
  ASSERT_FALSE(redis);
  EXPECT_TRUE(redis.error().retryable);
  EXPECT_NE(redis.error().message.find("127.0.0.1:" + std::to_string(a)), std::string::npos);
  EXPECT_NE(redis.error().message.find("127.0.0.1:" + std::to_string(b)), std::string::npos)
      << redis.error().message;
}

TEST(Sentinel, SentinelsThatAskForALoginGetTheirOwn) {
  testing::RedisSentinels cluster(2, "sentinel-secret");
  auto endpoint = *ParseRedisUrl(cluster.url());
  auto refused = Redis::Connect(endpoint);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("NOAUTH"), std::string::npos) << refused.error().message;
  endpoint.sentinel->password = "sentinel-secret";
  auto redis = Redis::Connect(endpoint);
  ASSERT_TRUE(redis) << redis.error().message;
  EXPECT_EQ((*redis)->endpoint().port, cluster.master().port());
}

TEST(Sentinel, AMasterTurnedReplicaBreaksTheConnection) {
  testing::RedisSentinels cluster;
  auto redis = Redis::Connect(*ParseRedisUrl(cluster.url()));
  ASSERT_TRUE(redis);
  cluster.master().Cli({"REPLICAOF", "127.0.0.1", std::to_string(cluster.replica().port())});
  auto write = (*redis)->Command({"SET", "k", "v"});
  ASSERT_FALSE(write);
  EXPECT_NE(write.error().message.find("READONLY"), std::string::npos) << write.error().message;
  EXPECT_FALSE((*redis)->ok());
}

TEST(Sentinel, ReconnectFollowsAFailoverToThePromotedReplica) {
  testing::RedisSentinels cluster;
  auto redis = Redis::Connect(*ParseRedisUrl(cluster.url()));
  ASSERT_TRUE(redis);
  ASSERT_TRUE((*redis)->Command({"SET", "before", "1"}));
  ASSERT_TRUE((*redis)->Command({"WAIT", "1", "5000"}));  // on the replica too
  cluster.KillMasterAndAwaitFailover();
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  Status reconnected = Fail(ErrorKind::kInfrastructure, "not tried");
  while (!reconnected && std::chrono::steady_clock::now() < deadline) {
    reconnected = (*redis)->Reconnect();
    if (!reconnected) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(reconnected) << reconnected.error().message;
  EXPECT_EQ((*redis)->endpoint().port, cluster.replica().port());
  auto read = (*redis)->Command({"GET", "before"});
  ASSERT_TRUE(read);
  EXPECT_EQ(read->str(), "1");
  EXPECT_TRUE((*redis)->Command({"SET", "after", "2"}));
}

}  // namespace
}  // namespace raibid
