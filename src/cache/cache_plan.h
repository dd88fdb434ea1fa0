// What a job caches and under which keys: the pipeline's `cache:` section plus its language's
// preset (docs/caches.md), resolved against the job's workspace and its cache home.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "cache/cache_store.h"
#include "pipeline/pipeline.h"

namespace raibid {

enum class CachePolicy { kPullPush, kPull, kPush };

struct CachePlan {
  std::vector<ArchiveRoot> roots;          // "w" under the workspace, "h" under the cache home
  std::map<std::string, std::string> env;  // points the tools at the cache home (CARGO_HOME, ...)
  CacheLookup lookup;
  CacheKey save_key;
  CachePolicy policy = CachePolicy::kPullPush;
  bool empty() const;
};

struct CachePlanInput {
  const Pipeline* pipeline = nullptr;
  std::string repository;  // the URL: entries never cross repositories
  std::string branch;      // the job's branch; else its tag; else "detached"
  std::string default_branch = "main";
  std::filesystem::path workspace;
  std::filesystem::path home;  // the job's cache home ("~" in cache.paths)
};

// A path that escapes the workspace or the home (absolute, "..") is a kInvalidPipeline error
// naming it.
Result<CachePlan> MakeCachePlan(const CachePlanInput& input);

// Changes when any file under the roots' paths is added, removed, resized or rewritten: a save
// is skipped when the fingerprint after the steps equals the one after the restore.
uint64_t Fingerprint(const std::vector<ArchiveRoot>& roots);

}  // namespace raibid
