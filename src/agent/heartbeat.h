// The agent's heartbeat, the `ci:agent:<consumer>` hash with a TTL (docs/reference.md, Redis
// keys), and the consumer name it stands for. Each process has its own instance id, written in the
// hash: an agent starts only when no other live instance holds the name (two agents under one name
// would both resume the name's pending entries and run the same job at once), and a heartbeat
// never overwrites another instance's. Uses the connection it is given, one thread at a time;
// the object itself is immutable.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "redis/redis.h"

namespace raibid {

class Heartbeat {
 public:
  using Fields = std::vector<std::pair<std::string, std::string>>;

  // `ttl`: how long the hash outlives its last write.
  Heartbeat(std::string consumer, std::string instance, std::chrono::seconds ttl);

  // Another process's hold on the name, as its hash tells (an empty instance: an agent of a
  // version before instance ids).
  struct Holder {
    std::string instance, started_at, last_seen;
  };

  // Writes `fields` and `instance` and renews the TTL, in one script, unless another instance
  // holds the name: then nothing is written and the holder is returned. `take_over` replaces the
  // other instance's hash.
  Result<std::optional<Holder>> Beat(Redis& redis, const Fields& fields,
                                     bool take_over = false) const;

  // At start: takes the name with a first Beat. When another instance holds it, watches its hash
  // until the hash is rewritten (that instance is alive: an error, kConfig, naming the consumer
  // and the holder) or expires (a predecessor that died: the name is taken). `stopping` ends the
  // wait (an error).
  Status Claim(Redis& redis, const Fields& fields, bool take_over,
               const std::function<bool()>& stopping) const;

  // Deletes the hash if this instance still holds it (a successor's stays).
  Status Remove(Redis& redis) const;

  const std::string& instance() const { return instance_; }
  const std::string& key() const { return key_; }

  // 16 random hex digits.
  static std::string NewInstanceId();

 private:
  Status Refuse(const Holder& holder) const;

  const std::string consumer_;
  const std::string key_;
  const std::string instance_;
  const std::chrono::seconds ttl_;
};

}  // namespace raibid
