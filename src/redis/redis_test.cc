#include "redis/redis.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using Type = RedisValue::Type;

class RedisTest : public ::testing::Test {
 protected:
  std::unique_ptr<Redis> Connect(RedisEndpoint ep) {
    auto conn = Redis::Connect(ep);
    EXPECT_TRUE(conn) << conn.error().message;
    return conn ? std::move(*conn) : nullptr;
  }
  RedisEndpoint Endpoint() { return *ParseRedisUrl(server_.url()); }
  testing::RedisServer server_;
  std::unique_ptr<Redis> redis_ = Connect(Endpoint());
};

TEST_F(RedisTest, RepliesOfEveryTypeBecomeValues) {
  EXPECT_EQ(*redis_->Command({"PING"}), RedisValue::Text(Type::kStatus, "PONG"));
  EXPECT_EQ(*redis_->Command({"GET", "missing"}), RedisValue());
  EXPECT_EQ(*redis_->Command({"INCRBY", "n", "-3"}), RedisValue::Integer(-3));
  ASSERT_TRUE(redis_->Command({"RPUSH", "l", "a", "b"}));
  EXPECT_EQ(*redis_->Command({"LRANGE", "l", "0", "-1"}),
            RedisValue::Array(
                {RedisValue::Text(Type::kString, "a"), RedisValue::Text(Type::kString, "b")}));
  auto error = redis_->Command({"NOSUCHCOMMAND"});
  ASSERT_TRUE(error);  // an error reply is a value, not a failed call
  EXPECT_TRUE(error->is_error());
  EXPECT_TRUE(error->str().starts_with("ERR unknown command")) << error->str();
  EXPECT_TRUE(redis_->ok());
}

TEST_F(RedisTest, NestedArraysKeepTheirShape) {
  ASSERT_TRUE(redis_->Command({"XADD", "s", "1-1", "k", "v"}));
  auto r = redis_->Command({"XRANGE", "s", "-", "+"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->element(0).element(0).str(), "1-1");
  EXPECT_EQ(r->element(0).element(1).elements().size(), 2u);
  EXPECT_EQ(r->element(0).element(1).element(1).str(), "v");
}

TEST_F(RedisTest, EmptyAndDeeplyNestedArraysKeepTheirShape) {
  auto r = redis_->Command({"EVAL", "return {1, {}, {2, {3, {'x', 'y'}}}, 4}", "0"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->elements().size(), 4u);
  EXPECT_EQ(r->element(1), RedisValue::Array({}));
  EXPECT_EQ(r->element(2).element(1).element(1).element(1).str(), "y");
  EXPECT_EQ(r->element(3).integer(), 4);
  EXPECT_EQ(*redis_->Command({"LRANGE", "none", "0", "-1"}), RedisValue::Array({}));
}

TEST_F(RedisTest, ValuesAreBinarySafe) {
  const std::string bytes("a\0b\xff\r\n", 6);
  ASSERT_TRUE(redis_->Command({"SET", bytes, bytes}));
  auto r = redis_->Command({"GET", bytes});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->str(), bytes);
}

TEST_F(RedisTest, PipelineRepliesComeInOrder) {
  auto r = redis_->Pipeline({{"SET", "k", "1"}, {"INCR", "k"}, {"NOSUCH"}, {"GET", "k"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ((*r)[0].str(), "OK");
  EXPECT_EQ((*r)[1].integer(), 2);
  EXPECT_TRUE((*r)[2].is_error());
  EXPECT_EQ((*r)[3].str(), "2");
}

TEST_F(RedisTest, LostServerBreaksTheConnectionWithARetryableError) {
  server_.Stop();
  auto r = redis_->Command({"PING"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInfrastructure);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_NE(r.error().message.find(Describe(Endpoint())), std::string::npos) << r.error().message;
  EXPECT_FALSE(redis_->ok());
}

TEST_F(RedisTest, ReconnectReplacesABrokenConnection) {
  server_.Restart();
  (void)redis_->Command({"PING"});
  ASSERT_FALSE(redis_->ok());
  const uint64_t before = Redis::reconnects();
  ASSERT_TRUE(redis_->Reconnect());
  EXPECT_TRUE(redis_->ok());
  EXPECT_EQ(redis_->Command({"PING"})->str(), "PONG");
  EXPECT_EQ(Redis::reconnects(), before + 1);
}

TEST_F(RedisTest, LogsInAndSelectsTheDatabase) {
  ASSERT_TRUE(redis_->Command({"CONFIG", "SET", "requirepass", "s3cret"}));
  RedisEndpoint ep = Endpoint();
  ep.password = "wrong";
  auto refused = Redis::Connect(ep);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("refused authentication"), std::string::npos);
  ep.password = "s3cret";
  ep.db = 2;
  auto in_db2 = Connect(ep);
  ASSERT_TRUE(in_db2 && (*in_db2).Command({"SET", "k", "2"}));
  ep.db = 0;
  EXPECT_TRUE(Connect(ep)->Command({"GET", "k"})->is_nil());
}

TEST_F(RedisTest, InterruptEndsAReadOnAnotherThread) {
  ASSERT_EQ(redis_->Command({"SUBSCRIBE", "ch"})->element(0).str(), "subscribe");
  redis_->SetTimeout(std::chrono::milliseconds(0));  // no timeout: only Interrupt ends the wait
  std::thread reader([&] { EXPECT_FALSE(redis_->ReadReply()); });
  redis_->Interrupt();
  reader.join();
}

// A server that answers the first command with `reply` and hangs up.
class OneReplyServer {
 public:
  explicit OneReplyServer(std::string reply) {
    sockaddr_in addr{.sin_family = AF_INET, .sin_port = 0, .sin_addr = {htonl(INADDR_LOOPBACK)}};
    socklen_t len = sizeof addr;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(listen(fd_, 1), 0);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, reply = std::move(reply)] {
      const int conn = accept(fd_, nullptr, nullptr);
      char buf[256];
      (void)read(conn, buf, sizeof buf);
      (void)write(conn, reply.data(), reply.size());
      close(conn);
    });
  }
  ~OneReplyServer() {
    thread_.join();
    close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int port_ = 0;
  std::thread thread_;
};

TEST(RedisConnect, AReplyCutOffMidArrayIsAnError) {
  OneReplyServer server("*3\r\n$1\r\na\r\n*2\r\n:1\r\n");
  auto redis = Redis::Connect({.port = server.port()});
  ASSERT_TRUE(redis) << redis.error().message;
  auto r = (*redis)->Command({"PING"});
  ASSERT_FALSE(r);  // the half-built value is freed with the connection (ASan checks)
  EXPECT_FALSE((*redis)->ok());
}

TEST(RedisConnect, UnreachableServerIsRetryableInfrastructureError) {
  auto conn = Redis::Connect({.port = testing::FreePort()}, std::chrono::milliseconds(500));
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().kind, ErrorKind::kInfrastructure);
  EXPECT_TRUE(conn.error().retryable);
  EXPECT_NE(conn.error().message.find("cannot connect to redis at 127.0.0.1:"), std::string::npos);
}

}  // namespace
}  // namespace raibid
