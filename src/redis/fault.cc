#include "redis/fault.h"

#include <array>

namespace raibid {
namespace {

// Codes Redis 7 sends, by what waiting does about them.
constexpr std::array<std::string_view, 4> kConfigurationCodes = {"WRONGTYPE", "NOPERM", "NOAUTH",
                                                                 "WRONGPASS"};
constexpr std::array<std::string_view, 10> kTransientCodes = {
    "LOADING", "BUSY",    "MASTERDOWN", "READONLY",    "TRYAGAIN",
    "OOM",     "MISCONF", "NOREPLICAS", "CLUSTERDOWN", "UNBLOCKED"};

bool Contains(auto& codes, std::string_view code) {
  for (std::string_view c : codes)
    if (c == code) return true;
  return false;
}

}  // namespace

RedisFault ClassifyRedisError(std::string_view reply) {
  const std::string_view code = reply.substr(0, reply.find(' '));
  RedisFault fault{.code = std::string(code), .text = std::string(reply)};
  if (Contains(kConfigurationCodes, code)) {
    fault.kind = RedisFaultClass::kConfiguration;
  } else if (Contains(kTransientCodes, code)) {
    fault.kind = RedisFaultClass::kTransient;
  } else if (code == "NOGROUP") {
    fault.kind = RedisFaultClass::kNoGroup;
  } else if (code == "ERR" && reply.find("unknown command") != std::string_view::npos) {
    fault.kind = RedisFaultClass::kConfiguration;  // a Redis older than the agent needs
  } else if (code == "ERR" && reply.find("can't run this command") != std::string_view::npos) {
    fault.kind = RedisFaultClass::kConfiguration;  // an ACL refusal met inside a script
  }
  return fault;
}

RedisFault ConnectionFault(std::string_view why) {
  return RedisFault{.kind = RedisFaultClass::kTransient, .code = "", .text = std::string(why)};
}

std::optional<RedisFault> FaultIn(const std::vector<RedisValue>& replies) {
  std::optional<RedisFault> execabort;
  for (const RedisValue& r : replies) {
    if (r.is_error()) {
      RedisFault fault = ClassifyRedisError(r.str());
      if (fault.code != "EXECABORT") return fault;
      execabort = std::move(fault);
    }
    for (const RedisValue& e : r.elements()) {  // EXEC's replies, run inside the transaction
      if (e.is_error()) return ClassifyRedisError(e.str());
    }
  }
  return execabort;
}

std::string DescribeRedisFault(const RedisFault& fault, std::string_view key,
                               std::string_view detail) {
  std::string why(detail);
  if (why.empty()) {
    why = fault.text.substr(
        fault.code.empty() ? 0 : std::min(fault.text.size(), fault.code.size() + 1));
  }
  std::string line = "redis: ";
  line += fault.code.empty() ? "connection lost" : fault.code;
  if (!key.empty()) line += " on " + std::string(key);
  return line + ": " + why;
}

Error RedisFaultError(const RedisFault& fault, std::string message) {
  return Error{ErrorKind::kInfrastructure, std::move(message), fault.transient()};
}

}  // namespace raibid
