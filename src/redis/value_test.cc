#include "redis/value.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

using Type = RedisValue::Type;

TEST(RedisValue, StrIsTheTextOrTheIntegerInDecimal) {
  EXPECT_EQ(RedisValue::Text(Type::kString, "data").str(), "data");
  EXPECT_EQ(RedisValue::Text(Type::kStatus, "OK").str(), "OK");
  EXPECT_EQ(RedisValue::Text(Type::kError, "ERR no").str(), "ERR no");
  EXPECT_EQ(RedisValue::Integer(-42).str(), "-42");
  EXPECT_EQ(RedisValue().str(), "");
  EXPECT_EQ(RedisValue::Array({RedisValue::Integer(1)}).str(), "");
}

TEST(RedisValue, OnlyAnErrorReplyIsAnError) {
  EXPECT_TRUE(RedisValue::Text(Type::kError, "ERR").is_error());
  EXPECT_FALSE(RedisValue::Text(Type::kStatus, "ERR").is_error());
  EXPECT_FALSE(RedisValue::Text(Type::kString, "ERR").is_error());
  EXPECT_TRUE(RedisValue().is_nil());
  EXPECT_FALSE(RedisValue::Integer(0).is_nil());
}

TEST(RedisValue, OtherTypesReadAsNoElementsAndZero) {
  const RedisValue text = RedisValue::Text(Type::kString, "7");
  EXPECT_TRUE(text.elements().empty());
  EXPECT_TRUE(text.element(0).is_nil());
  EXPECT_EQ(text.integer(), 0);
  EXPECT_EQ(RedisValue::Array({}).integer(), 0);
}

TEST(RedisValue, ElementPastTheEndIsNil) {
  const RedisValue list = RedisValue::Array(
      {RedisValue::Integer(1), RedisValue::Array({RedisValue::Text(Type::kString, "x")})});
  EXPECT_EQ(list.element(0).integer(), 1);
  EXPECT_EQ(list.element(1).element(0).str(), "x");
  EXPECT_TRUE(list.element(2).is_nil());
  EXPECT_TRUE(list.element(1).element(5).element(0).is_nil());
}

TEST(CheckReply, NamesTheCommandOfAnErrorReply) {
  auto s = CheckReply(RedisValue::Text(Type::kError, "ERR wrong type"), "XADD");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "redis XADD failed: ERR wrong type");
  EXPECT_EQ(s.error().kind, ErrorKind::kInfrastructure);
  EXPECT_FALSE(s.error().retryable);
}

TEST(CheckReply, OnlyATransientFaultIsRetryable) {
  EXPECT_TRUE(CheckReply(RedisValue::Text(Type::kError, "OOM full"), "XADD").error().retryable);
  EXPECT_FALSE(
      CheckReply(RedisValue::Text(Type::kError, "WRONGTYPE no"), "XADD").error().retryable);
}

TEST(CheckReply, PassesOtherRepliesAndConnectionErrorsThrough) {
  EXPECT_TRUE(CheckReply(RedisValue(), "GET"));
  EXPECT_TRUE(CheckReply(RedisValue::Text(Type::kStatus, "OK"), "SET"));
  const Error lost{ErrorKind::kInfrastructure, "redis at h:1: XADD: connection lost", true};
  auto s = CheckReply(std::unexpected(lost), "XADD");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, lost.message);
}

}  // namespace
}  // namespace raibid
