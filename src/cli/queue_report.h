// Where a queued job stands, for a user waiting on it: how many entries the consumer group has
// still to read before the job's, and whether any agent of the group is alive (its heartbeat key,
// docs/reference.md, Redis keys). Reads only.
#pragma once

#include <string>

#include "redis/redis.h"
#include "util/error.h"

namespace raibid::cli {

struct QueuedEntry {
  std::string stream, group;  // agent.redis.stream_name, consumer_group
  std::string entry_id;       // the job's entry, as XADD returned it
};

// One line without a final newline, e.g. "2 entries ahead of it in ci-jobs; no live agent in
// consumer group ci-workers (1 known, none with a heartbeat)", or "no agent has joined consumer
// group ci-workers of ci-jobs yet".
Result<std::string> DescribeQueuePosition(Redis& redis, const QueuedEntry& entry);

}  // namespace raibid::cli
