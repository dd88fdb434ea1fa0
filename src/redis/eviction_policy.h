// Redis' `maxmemory-policy`, read at start: anything but `noeviction` lets Redis evict keys when
// memory runs out, and a queued job (the `ci-jobs` stream) or a job's status hash is a key like
// any other (docs/reliability.md, Production Redis).
#pragma once

#include <optional>
#include <string>

#include "redis/redis.h"

namespace raibid {

// The policy (CONFIG GET maxmemory-policy); nullopt when this user may not run CONFIG (a managed
// Redis, a least-privilege ACL) or the reply has no policy. An Error only when the connection
// failed.
Result<std::optional<std::string>> ReadEvictionPolicy(Redis& redis);

// True for every policy but `noeviction`.
bool MayEvict(const std::string& policy);

}  // namespace raibid
