// The disk figures of the agent's directories for /metrics: free space on the work and cache
// directories' filesystems and the bytes each tree holds. Walking a tree costs time (a cache of
// 50 GiB holds many files), so a survey is kept for `max_age` and scrapes in between read it.
// Thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "util/clock.h"
#include "util/mutex.h"

namespace raibid {

struct DirUsage {
  std::string name;   // "work", "cache"
  int64_t free = -1;  // free bytes on its filesystem; -1: unknown
  uint64_t used = 0;  // bytes of the files under it
};

class DiskSurvey {
 public:
  DiskSurvey(std::vector<std::pair<std::string, std::filesystem::path>> dirs, Clock& clock,
             Millis max_age = std::chrono::seconds(30));
  std::vector<DirUsage> Read() EXCLUDES(mu_);

 private:
  const std::vector<std::pair<std::string, std::filesystem::path>> dirs_;
  Clock& clock_;
  const Millis max_age_;
  Mutex mu_;
  std::vector<DirUsage> last_ GUARDED_BY(mu_);
  SteadyTime taken_ GUARDED_BY(mu_){};
};

}  // namespace raibid
