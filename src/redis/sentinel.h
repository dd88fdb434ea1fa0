// Redis Sentinel discovery: which server is the master named in the settings right now. Asked on
// every connect and reconnect, so an agent follows a failover without a restart.
#pragma once

#include <chrono>

#include "redis/endpoint.h"
#include "util/error.h"

namespace raibid {

class Redis;

// Asks the sentinels in order for the master's address; the first that knows the master answers.
// A retryable kInfrastructure error naming every sentinel and why it did not answer when none
// does; a kConfig error when a sentinel refuses the login.
// The sentinels are reached with `tls` as the master is (rediss+sentinel://: TLS to both).
Result<HostPort> AskSentinelsForMaster(const SentinelSettings& sentinel, const RedisTls& tls,
                                       std::chrono::milliseconds timeout);

// Checks with ROLE that `redis` is a master: a server the sentinels still name while it is being
// demoted (or one just restarted as a replica) is refused with a retryable error.
Status CheckIsMaster(Redis& redis, const std::string& master_name);

}  // namespace raibid
