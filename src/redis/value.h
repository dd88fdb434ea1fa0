// A Redis reply as a plain value: nil, an integer, a (bulk) string, a status, an error, or an
// array of values. The connection (redis/redis.h) has the client library build values as it
// reads the protocol, so a value owns all its data and no hiredis type reaches the rest of the
// tree. Moving is cheap; a copy copies the whole tree.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace raibid {

class RedisValue {
 public:
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };

  RedisValue() = default;  // nil
  static RedisValue Integer(int64_t n);
  // `type` is kString, kStatus or kError.
  static RedisValue Text(Type type, std::string text);
  static RedisValue Array(std::vector<RedisValue> elements);

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::kNil; }
  bool is_error() const { return type_ == Type::kError; }
  bool is_array() const { return type_ == Type::kArray; }

  // The text of a string, status or error; an integer in decimal; "" for nil and arrays.
  std::string str() const;
  // The number of an integer reply; 0 for every other type.
  int64_t integer() const { return integer_; }
  // The elements of an array; empty for every other type.
  const std::vector<RedisValue>& elements() const { return elements_; }
  // Element `i` of an array; a nil value past the end or when this is not an array, so a reply
  // of an unexpected shape reads as "nothing there" rather than out of bounds.
  const RedisValue& element(size_t i) const;

  bool operator==(const RedisValue&) const = default;

 private:
  friend struct RedisValueBuilder;  // redis.cc: fills arrays in place as a reply is read

  Type type_ = Type::kNil;
  int64_t integer_ = 0;
  std::string text_;
  std::vector<RedisValue> elements_;
};

// Error unless `reply` arrived and is not an error reply: the connection's error as it is, or a
// kInfrastructure "redis <what> failed: <the error reply>", retryable when the reply's fault is
// transient (redis/fault.h).
Status CheckReply(const Result<RedisValue>& reply, std::string_view what);

}  // namespace raibid
