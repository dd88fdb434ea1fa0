// Whether the disks leave room for another job: before the agent takes one, the free space of
// the work and cache directories' filesystems is compared with agent.min_free_disk. Below it,
// the cache store's entries are evicted first (least recently used first, past what
// agent.cache.size alone would evict) until every directory is above it again or the store is
// empty; if a directory is still low, the agent takes no jobs until space returns. The change
// each way is logged once; /readyz names the low directory (agent/readiness.h, CheckFreeSpace,
// in the same words) and raibid_disk_low shows it.
//
// Thread-safe. Check is meant for the consumer loop (it may evict, which takes a while); reason()
// and low() are quick, for /readyz and /metrics.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/clock.h"
#include "util/error.h"
#include "util/mutex.h"

namespace raibid {

struct DiskGuardOptions {
  // The directories to keep room on, each with what messages call it: {"work dir", path}.
  std::vector<std::pair<std::string, std::filesystem::path>> dirs;
  uint64_t min_free = 1ull << 30;  // agent.min_free_disk; 0: never low
  // The disks are looked at no more often than this; between looks Check repeats its answer.
  Millis interval{2000};
  // The free bytes of a directory's filesystem (util/disk_usage.h's FreeBytes); nullopt when it
  // cannot be asked (not counted as low).
  std::function<std::optional<uint64_t>(const std::filesystem::path&)> free_bytes;
  // Deletes cache entries, least recently used first, until `enough` returns true or none is
  // left (CacheStore::EvictUntil); the bytes freed. Unset: no cache to evict.
  std::function<Result<uint64_t>(const std::function<bool()>& enough)> evict;
};

class DiskGuard {
 public:
  DiskGuard(DiskGuardOptions options, Clock& clock);

  // Nothing when the agent may take a job, else why not: "work dir /w: 512 MiB free, below
  // agent.min_free_disk (1 GiB)". Looks at the disks at most every interval.
  std::optional<std::string> Check() EXCLUDES(mu_);
  // The last answer of Check, without looking again.
  std::optional<std::string> reason() const EXCLUDES(mu_);
  bool low() const { return reason().has_value(); }

 private:
  // The first directory below min_free, in words; nothing when all have room.
  std::optional<std::string> LowDir() const;
  // Evicts caches while a directory is low; what is low after it.
  std::optional<std::string> EvictForRoom(std::string low);

  const DiskGuardOptions options_;
  Clock& clock_;
  mutable Mutex mu_;
  std::optional<std::string> reason_ GUARDED_BY(mu_);
  std::optional<SteadyTime> looked_ GUARDED_BY(mu_);
};

}  // namespace raibid
