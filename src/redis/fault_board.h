// The Redis faults the agent's threads meet right now, each under the name of the place that
// met it ("consumer", "heartbeat", "status"), for /readyz to name while they last. A place
// clears its entry when Redis takes its command again. Thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "util/mutex.h"

namespace raibid {

class RedisFaultBoard {
 public:
  void Set(const std::string& where, std::string description) EXCLUDES(mu_);
  void Clear(const std::string& where) EXCLUDES(mu_);
  // The faults now, "; "-joined in the order of their places' names; nullopt when none.
  std::optional<std::string> Current() const EXCLUDES(mu_);

 private:
  mutable Mutex mu_;
  std::map<std::string, std::string> faults_ GUARDED_BY(mu_);
};

}  // namespace raibid
