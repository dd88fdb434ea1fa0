// What a Redis error reply means for the command that got it, decided once, here. Two classes
// matter to a retry loop, and neither may spin (every loop waits with util/backoff.h between
// attempts):
// - configuration faults, which waiting will not fix (a key of the wrong type, an ACL that
//   refuses a command or a key, a missing or wrong password, a command this Redis lacks): an
//   operator must act; the agent keeps trying slowly and says what is wrong (/readyz);
// - transient faults, which pass by themselves (a dataset still loading, a busy script, a
//   replica without its master or a read-only one after a failover, memory full under
//   `noeviction`, a failed snapshot that stops writes, a lost connection).
// NOGROUP (the consumer group is gone: the stream was deleted, Redis flushed) has a class of its
// own: the consumer recreates the group.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/value.h"
#include "util/error.h"

namespace raibid {

enum class RedisFaultClass { kConfiguration, kTransient, kNoGroup, kOther };

struct RedisFault {
  RedisFaultClass kind = RedisFaultClass::kOther;
  std::string code;  // the reply's first word ("WRONGTYPE", "OOM", "ERR"); "" for a lost link
  std::string text;  // the whole reply, or the connection's error

  bool transient() const { return kind == RedisFaultClass::kTransient; }
};

// The class of an error reply's text ("WRONGTYPE Operation against a key ...").
RedisFault ClassifyRedisError(std::string_view reply);
// A lost or broken connection: transient.
RedisFault ConnectionFault(std::string_view why);

// The fault among a pipeline's replies, if any: the first error reply, looking into EXEC's
// array and past EXECABORT to the queued command Redis refused (an OOM under MULTI arrives as
// that command's reply, then EXECABORT).
std::optional<RedisFault> FaultIn(const std::vector<RedisValue>& replies);

// One line for logs, /readyz and errors: "redis: <CODE> on <key>: <detail>", the detail being
// the reply without its code unless `detail` says better ("the key is a string").
std::string DescribeRedisFault(const RedisFault& fault, std::string_view key,
                               std::string_view detail = {});

// The Error a caller returns for `fault`: kInfrastructure, retryable when transient.
Error RedisFaultError(const RedisFault& fault, std::string message);

}  // namespace raibid
