#include "redis/sentinel.h"

#include "redis/redis.h"

namespace raibid {
namespace {

std::string Address(const HostPort& hp) { return hp.host + ":" + std::to_string(hp.port); }

// One sentinel's answer: the address, or why there is none.
Result<HostPort> AskOne(const HostPort& at, const SentinelSettings& sentinel, const RedisTls& tls,
                        std::chrono::milliseconds timeout) {
  RedisEndpoint endpoint{.host = at.host,
                         .port = at.port,
                         .username = sentinel.username,
                         .password = sentinel.password,
                         .tls = tls};
  auto conn = Redis::Connect(endpoint, timeout);
  if (!conn) return std::unexpected(conn.error());
  auto reply = (*conn)->Command({"SENTINEL", "get-master-addr-by-name", sentinel.master_name});
  if (!reply) return std::unexpected(reply.error());
  if (reply->is_error()) return Fail(ErrorKind::kInfrastructure, reply->str(), true);
  if (!reply->is_array() || reply->elements().size() != 2) {
    return Fail(ErrorKind::kInfrastructure,
                "does not know a master named '" + sentinel.master_name + "'", true);
  }
  return ParseHostPort(reply->elements()[0].str() + ":" + reply->elements()[1].str());
}

}  // namespace

Result<HostPort> AskSentinelsForMaster(const SentinelSettings& sentinel, const RedisTls& tls,
                                       std::chrono::milliseconds timeout) {
  std::string reasons;
  for (const auto& at : sentinel.addresses) {
    auto master = AskOne(at, sentinel, tls, timeout);
    if (master) return master;
    if (master.error().kind == ErrorKind::kConfig) return master;
    reasons += (reasons.empty() ? "" : "; ") + Address(at) + ": " + master.error().message;
  }
  return Fail(
      ErrorKind::kInfrastructure,
      "no sentinel gave the address of master '" + sentinel.master_name + "' (" + reasons + ")",
      true);
}

Status CheckIsMaster(Redis& redis, const std::string& master_name) {
  auto role = redis.Command({"ROLE"});
  if (!role) return std::unexpected(role.error());
  if (role->is_array() && !role->elements().empty() && role->elements()[0].str() == "master") {
    return {};
  }
  return Fail(ErrorKind::kInfrastructure,
              "redis at " + Describe(redis.endpoint()) + " is not a master (" +
                  (role->is_error() ? role->str() : "ROLE says replica") +
                  "): the sentinels still name it for '" + master_name +
                  "', a failover may be under way",
              true);
}

}  // namespace raibid
