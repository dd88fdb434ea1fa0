#include "redis/value.h"

#include "redis/fault.h"

namespace raibid {

RedisValue RedisValue::Integer(int64_t n) {
  RedisValue v;
  v.type_ = Type::kInteger;
  v.integer_ = n;
  return v;
}

RedisValue RedisValue::Text(Type type, std::string text) {
  RedisValue v;
  v.type_ = type;
  v.text_ = std::move(text);
  return v;
}

RedisValue RedisValue::Array(std::vector<RedisValue> elements) {
  RedisValue v;
  v.type_ = Type::kArray;
  v.elements_ = std::move(elements);
  return v;
}

std::string RedisValue::str() const {
  switch (type_) {
    case Type::kString:
    case Type::kStatus:
    case Type::kError:
      return text_;
    case Type::kInteger:
      return std::to_string(integer_);
    case Type::kNil:
    case Type::kArray:
      break;
  }
  return "";
}

const RedisValue& RedisValue::element(size_t i) const {
  static const RedisValue kNil;
  return i < elements_.size() ? elements_[i] : kNil;
}

Status CheckReply(const Result<RedisValue>& reply, std::string_view what) {
  if (!reply) return std::unexpected(reply.error());
  if (reply->is_error()) {
    return std::unexpected(
        RedisFaultError(ClassifyRedisError(reply->str()),
                        "redis " + std::string(what) + " failed: " + reply->str()));
  }
  return {};
}

}  // namespace raibid
