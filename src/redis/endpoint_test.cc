#include "redis/endpoint.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

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

TEST(RedisUrl, ParsesUserNameBesideThePassword) {
  auto ep = ParseRedisUrl("redis://agent:pw@h");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->username, "agent");
  EXPECT_EQ(ep->password, "pw");
  EXPECT_EQ(ep->host, "h");
}

TEST(RedisUrl, UnixSocketTakesADatabaseQuery) {
  auto ep = ParseRedisUrl("redis+unix:///run/redis.sock?db=3");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep->unix_socket, "/run/redis.sock");
  EXPECT_EQ(ep->db, 3);
  EXPECT_FALSE(ParseRedisUrl("unix:///run/redis.sock?timeout=3"));
  EXPECT_FALSE(ParseRedisUrl("unix://"));
}

TEST(RedisUrl, RejectsOtherSchemesClearly) {
  auto http = ParseRedisUrl("http://x");
  ASSERT_FALSE(http);
  EXPECT_NE(http.error().message.find("rediss://"), std::string::npos) << http.error().message;
  EXPECT_FALSE(ParseRedisUrl("redis://host:99999"));
  EXPECT_FALSE(ParseRedisUrl("redis://host/x"));
}

TEST(RedisUrl, RedissAsksForTlsAndParsesLikeRedis) {
  auto ep = ParseRedisUrl("rediss://agent:pw@redis.example.com:6380/1");
  ASSERT_TRUE(ep) << ep.error().message;
  EXPECT_TRUE(ep->tls.enabled);
  EXPECT_EQ(ep->host, "redis.example.com");
  EXPECT_EQ(ep->port, 6380);
  EXPECT_EQ(ep->username, "agent");
  EXPECT_EQ(ep->db, 1);
  EXPECT_FALSE(ParseRedisUrl("redis://h")->tls.enabled);
}

TEST(RedisUrl, DescribeNamesTheAddressOrTheSocket) {
  EXPECT_EQ(Describe({.host = "redis.local", .port = 6380}), "redis.local:6380");
  EXPECT_EQ(Describe({.unix_socket = "/run/redis.sock"}), "/run/redis.sock");
}

}  // namespace
}  // namespace raibid
