// The consumer side of the job streams: one consumer group on `ci-jobs` (or on each of several
// streams, one per platform queue) read with XREADGROUP, and the group's upkeep (leaving it,
// trimming the stream). The leases on the entries read are queue/lease.h. Uses the connection it
// is given (not thread-safe, like the connection).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "redis/redis.h"
#include "redis/stream_entry.h"

namespace raibid {

struct QueueNames {
  // The stream of the per-entry operations (Ack, DeadLetter, TrimDelivered, queue/lease.h).
  std::string stream = "ci-jobs";
  std::string group = "ci-workers";
  std::string consumer;
  // The streams EnsureGroup, ReadNew, ReadOwnPending and RemoveConsumerIfIdle go through, all in
  // `group`; empty: `stream` alone.
  std::vector<std::string> streams;
  std::string dead_stream() const { return stream + ":dead"; }
  std::vector<std::string> all_streams() const {
    return streams.empty() ? std::vector<std::string>{stream} : streams;
  }
  // The names for the entries of `s` (an entry's StreamEntry::stream; empty: `stream`).
  QueueNames For(const std::string& s) const {
    return {.stream = s.empty() ? stream : s, .group = group, .consumer = consumer};
  }
};

class JobQueue {
 public:
  JobQueue(Redis& redis, QueueNames names) : redis_(redis), names_(std::move(names)) {}

  // Creates the group (from the stream's start, so jobs queued before any agent are not missed),
  // creating the stream too; an existing group is fine. A refusal's message names the fault and
  // the stream ("redis: WRONGTYPE on ci-jobs: the key is a string, not a stream"), retryable
  // when the fault is transient (redis/fault.h).
  Status EnsureGroup();
  // New entries for this consumer, waiting up to `block` for one (XREADGROUP ... BLOCK ... >),
  // each with its StreamEntry::stream. An empty vector when none came in time. With several
  // streams `count` holds for each: up to count entries of every stream.
  Result<std::vector<StreamEntry>> ReadNew(int count, std::chrono::milliseconds block);
  // Entries delivered to this consumer and not yet acknowledged (XREADGROUP ... 0).
  Result<std::vector<StreamEntry>> ReadOwnPending(int count);
  Status Ack(const std::string& id);
  // Copies the entry's fields to the dead-letter stream with `reason` and `deliveries`, and
  // acknowledges it, in one MULTI/EXEC together with `extra` commands (the job's final status).
  Status DeadLetter(const StreamEntry& entry, const std::string& reason, int deliveries,
                    const std::vector<RedisArgs>& extra = {});

  // Pending entries of this consumer, on all its streams (XPENDING count).
  Result<int64_t> PendingOfConsumer();
  // Removes this consumer from the group on every stream, only when it has nothing pending.
  Result<bool> RemoveConsumerIfIdle();
  // Trims the stream below the oldest entry still pending or not yet delivered to every group
  // (XTRIM MINID ~), never dropping a job someone still needs. Returns entries removed.
  Result<int64_t> TrimDelivered();

  const QueueNames& names() const { return names_; }

 private:
  Result<std::vector<StreamEntry>> ReadGroup(int count,
                                             std::optional<std::chrono::milliseconds> block,
                                             const std::string& from);
  // The Error for an error reply about the stream, described for an operator.
  Error StreamFault(const std::string& reply, const std::string& stream);
  Redis& redis_;
  QueueNames names_;
};

}  // namespace raibid
