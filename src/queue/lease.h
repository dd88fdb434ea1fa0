// Leases on the entries of one job stream (QueueNames::stream; an agent reading several streams
// keeps one Leases per stream). An entry read from the group stays pending for the
// consumer that read it, and is leased to it while its idle time stays under the lease length:
// the owner renews it while the job runs, and another agent claims entries whose lease ran out
// (their agent died or stopped renewing), so no job is lost with its agent. Uses the connection
// it is given (not thread-safe, like the connection).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "queue/job_queue.h"
#include "redis/redis.h"
#include "redis/stream_entry.h"

namespace raibid {

class Leases {
 public:
  Leases(Redis& redis, QueueNames names) : redis_(redis), names_(std::move(names)) {}

  // Resets the idle time of `id` if this consumer still owns it (owner check and XCLAIM JUSTID in
  // one Lua script, so a renewal never takes back an entry another agent reclaimed). False when
  // the entry is owned by someone else or no longer pending.
  Result<bool> Renew(const std::string& id);
  // Gives `id` up without acknowledging it: still pending for this consumer, but idle as if its
  // lease had long run out, so the next ClaimAbandoned of any agent takes it. For a job this
  // agent cannot run (docs/reliability.md, Local faults). False when this consumer does not
  // own the entry (nothing is changed then).
  Result<bool> Release(const std::string& id);
  // Claims for this consumer up to `count` entries of `names.stream` idle for at least `lease`
  // (each with its StreamEntry::stream). Successive calls go on through the pending entries from
  // where the last one stopped. Entries whose data was
  // deleted are dropped from the group by Redis and not returned.
  Result<std::vector<StreamEntry>> ClaimAbandoned(std::chrono::milliseconds lease, int count);

 private:
  Redis& redis_;
  const QueueNames names_;
  std::string claim_cursor_ = "0-0";  // XAUTOCLAIM's: where the next call goes on
};

}  // namespace raibid
