// The local store of dependency and build caches under <cache.path>/deps, bounded by
// agent.cache.size together with the git mirrors. Entries are grouped by scope (repository and
// branch), so a key can fall back to "the newest entry of this branch" or "of the default
// branch". Safe for several jobs and several agents sharing the directory: entries appear by
// rename, eviction runs under an flock, and an entry deleted while being read stays readable
// through the open descriptor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cache/cache_archive.h"

namespace raibid {

// Where a cache entry lives: `scope` (e.g. "repo-url#branch") and `name` within it (e.g. the
// lock-file hash).
struct CacheKey {
  std::string scope;
  std::string name;
  std::string ToString() const { return scope + "#" + name; }
};

// What to look for, in order: exact keys, then the newest entry of each fallback scope.
struct CacheLookup {
  std::vector<CacheKey> keys;
  std::vector<std::string> fallback_scopes;
};

struct CacheHit {
  std::filesystem::path entry;
  std::string key;  // the key or "<scope>#*" that matched
  bool exact = false;
};

class CacheStore {
 public:
  // `also_counted`: directories whose size counts against `max_bytes` too (the git mirrors).
  CacheStore(std::filesystem::path root, uint64_t max_bytes,
             std::vector<std::filesystem::path> also_counted, int threads = 2);

  std::optional<CacheHit> Find(const CacheLookup& lookup) const;
  // Restores the hit; a damaged entry, or one past `limits` (cache_archive_bytes,
  // cache_entries), is deleted and reported as an error (the caller counts it as a miss). Marks
  // the entry used (for LRU).
  Result<ArchiveStats> Restore(const CacheHit& hit, const std::vector<ArchiveRoot>& roots,
                               const InputLimits& limits = {});
  // Saves the roots as `key`'s entry; past `limits` nothing is saved (an error naming the limit).
  Result<ArchiveStats> Save(const CacheKey& key, const std::vector<ArchiveRoot>& roots,
                            const InputLimits& limits = {});
  // Deletes least recently used entries until the store and the counted directories fit in
  // max_bytes. Returns the bytes freed.
  Result<uint64_t> Evict();
  // Deletes least recently used entries until `enough` returns true (asked before each) or the
  // store is empty, whatever max_bytes allows: room for jobs on a disk that runs low. The git
  // mirrors are kept. Returns the bytes freed.
  Result<uint64_t> EvictUntil(const std::function<bool()>& enough);

  std::filesystem::path EntryPath(const CacheKey& key) const;

 private:
  std::filesystem::path ScopeDir(const std::string& scope) const;
  // Deletes entries, least recently used first, while `more(total bytes counted)` says so.
  Result<uint64_t> EvictWhile(const std::function<bool(uint64_t total)>& more);

  std::filesystem::path root_;
  uint64_t max_bytes_;
  std::vector<std::filesystem::path> also_counted_;
  int threads_;
};

// A stable short hash for file names.
std::string HashName(std::string_view text);

}  // namespace raibid
