#include "redis/fault.h"

#include <gtest/gtest.h>

#include "redis/fault_board.h"
#include "redis/redis.h"
#include "support/redis_server.h"

namespace raibid {
namespace {

using Type = RedisValue::Type;

// The replies a real Redis sends, so the classification follows the server, not our guess.
class RedisFaultTest : public ::testing::Test {
 protected:
  RedisFault FaultOf(const RedisArgs& args) {
    auto r = redis_->Command(args);
    EXPECT_TRUE(r && r->is_error()) << (r ? r->str() : r.error().message);
    return ClassifyRedisError(r ? r->str() : "");
  }
  testing::RedisServer server_;
  std::unique_ptr<Redis> redis_ = std::move(*Redis::Connect(*ParseRedisUrl(server_.url())));
};

TEST_F(RedisFaultTest, WrongTypeAndUnknownCommandsAreConfiguration) {
  redis_->Command({"SET", "ci-jobs", "x"});
  const RedisFault wrongtype = FaultOf({"XGROUP", "CREATE", "ci-jobs", "g", "0", "MKSTREAM"});
  EXPECT_EQ(wrongtype.kind, RedisFaultClass::kConfiguration);
  EXPECT_EQ(wrongtype.code, "WRONGTYPE");
  EXPECT_EQ(FaultOf({"XNOSUCH", "a"}).kind, RedisFaultClass::kConfiguration);
  EXPECT_EQ(FaultOf({"XADD", "s", "*"}).kind, RedisFaultClass::kOther);  // our own bad call
}

TEST_F(RedisFaultTest, AnAclRefusalIsConfiguration) {
  redis_->Command({"ACL", "SETUSER", "ci", "on", ">pw", "~*", "+@all", "-xgroup"});
  redis_->Command({"AUTH", "ci", "pw"});
  const RedisFault noperm = FaultOf({"XGROUP", "CREATE", "s", "g", "0", "MKSTREAM"});
  EXPECT_EQ(noperm.kind, RedisFaultClass::kConfiguration);
  EXPECT_EQ(noperm.code, "NOPERM");
  EXPECT_EQ(FaultOf({"AUTH", "ci", "wrong"}).code, "WRONGPASS");
}

TEST_F(RedisFaultTest, MemoryFullIsTransientAndFoundBehindExecAbort) {
  redis_->Command({"CONFIG", "SET", "maxmemory", "1"});
  auto replies = redis_->Pipeline({{"MULTI"}, {"HSET", "h", "f", "v"}, {"EXEC"}});
  ASSERT_TRUE(replies);
  auto fault = FaultIn(*replies);
  ASSERT_TRUE(fault);
  EXPECT_EQ(fault->code, "OOM");
  EXPECT_TRUE(fault->transient());
  redis_->Command({"CONFIG", "SET", "maxmemory", "0"});
}

TEST(RedisFaultClassification, TheReplicationAndPersistenceFaultsAreTransient) {
  for (const char* reply :
       {"LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script.",
        "MASTERDOWN Link with MASTER is down",
        "READONLY You can't write against a read only replica.",
        "TRYAGAIN Multiple keys request during rehashing of slot",
        "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
        "persist"}) {
    EXPECT_TRUE(ClassifyRedisError(reply).transient()) << reply;
  }
  EXPECT_TRUE(ConnectionFault("Connection refused").transient());
  EXPECT_EQ(ClassifyRedisError("NOGROUP No such key 'ci-jobs'").kind, RedisFaultClass::kNoGroup);
  EXPECT_EQ(ClassifyRedisError("NOAUTH Authentication required.").kind,
            RedisFaultClass::kConfiguration);
}

TEST(RedisFaultClassification, AnAclRefusalInsideAScriptIsConfiguration) {
  EXPECT_EQ(ClassifyRedisError("ERR The user executing the script can't run this command or "
                               "subcommand script: 167a, on @user_script:7.")
                .kind,
            RedisFaultClass::kConfiguration);
}

TEST(RedisFaultClassification, TheDescriptionNamesCodeKeyAndReason) {
  const RedisFault f = ClassifyRedisError("WRONGTYPE Operation against a key");
  EXPECT_EQ(DescribeRedisFault(f, "ci-jobs", "the key is a string"),
            "redis: WRONGTYPE on ci-jobs: the key is a string");
  EXPECT_EQ(DescribeRedisFault(ClassifyRedisError("OOM command not allowed"), "ci:job:j"),
            "redis: OOM on ci:job:j: command not allowed");
  EXPECT_EQ(DescribeRedisFault(ConnectionFault("Connection refused"), ""),
            "redis: connection lost: Connection refused");
}

TEST(RedisFaultBoard, NamesTheFaultsUntilTheirPlacesClearThem) {
  RedisFaultBoard board;
  EXPECT_EQ(board.Current(), std::nullopt);
  board.Set("consumer", "redis: WRONGTYPE on ci-jobs: the key is a string");
  board.Set("status", "redis: OOM on ci:job:j: full");
  EXPECT_EQ(board.Current(),
            "redis: WRONGTYPE on ci-jobs: the key is a string; redis: OOM on ci:job:j: full");
  board.Clear("consumer");
  board.Clear("status");
  EXPECT_EQ(board.Current(), std::nullopt);
}

}  // namespace
}  // namespace raibid
