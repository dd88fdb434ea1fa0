// One job's dependency and build caches: the plan from the pipeline's `cache` section, a restore
// before the first step (the local store, then the registry's remote tier), a save after a
// pipeline that succeeded (unless nothing changed), and what the log, the status hash and the
// metrics say about it. Private to the runner; one per job, used from the job's thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "cache/cache_plan.h"
#include "cache/cache_store.h"
#include "job/job.h"
#include "pipeline/pipeline.h"
#include "runner/run_observer.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/input_limits.h"
#include "util/log_sink.h"

namespace raibid {

class JobRegistry;

// What the restore found.
enum class CacheResult {
  kOff,       // no cache for the job (none configured, the job turned it off, nothing to cache)
  kMiss,      // nothing to restore (or the entry could not be restored, or the policy is push)
  kHit,       // the entry of the job's exact key was restored
  kFallback,  // an entry of an earlier key (another branch, older lock files) was restored
};

// "off", "miss", "hit", "fallback": the `result` of the status hash's `cache` field.
std::string_view ToString(CacheResult result);

// Where the job's files are.
struct JobPaths {
  std::filesystem::path workspace;  // the checkout
  std::filesystem::path home;       // the cache home: "~" in cache.paths
};

class JobCache {
 public:
  // `store` null: caching is off for the agent. `remote` (may be null): the registry the remote
  // tier lives in. Progress goes to `log` as sys lines. All references must outlive this.
  JobCache(CacheStore* store, JobRegistry* remote, const InputLimits& limits, Clock& clock,
           LogSink& log, RunObserver& observer);

  // Makes the job's plan and restores the best entry into the workspace and the cache home.
  // A failed restore is logged and the job starts cold. kInvalidPipeline for an unusable
  // `cache` section (the job fails).
  Status Restore(const Pipeline& pipeline, const Job& job, const std::string& repository_url,
                 const JobPaths& paths);
  // Saves the job's entry (locally, then to the remote tier) and evicts what the store's size
  // allows no more. Failures are logged and never fail the job.
  void Save();

  CacheResult result() const { return result_; }
  // Adds what steps need to find the caches (CARGO_HOME, ... and RAIBID_CACHE_HOME); a variable
  // the job sets already keeps its value, RAIBID_CACHE_HOME is always the job's.
  void AddStepEnv(std::map<std::string, std::string>& env) const;
  // The status hash's `cache` field ({key, result, restore_ms, save_ms} as JSON), or nullopt
  // when the job had no cache plan.
  std::optional<std::string> StatusField() const;

 private:
  std::optional<CacheHit> FindRemote();
  void PushRemote();

  CacheStore* const store_;
  JobRegistry* const remote_;
  const InputLimits& limits_;
  Clock& clock_;
  LogSink& log_;
  RunObserver& observer_;
  std::filesystem::path home_;
  std::optional<CachePlan> plan_;
  uint64_t fingerprint_ = 0;  // of the restored files, to skip a save that would change nothing
  std::string key_;
  CacheResult result_ = CacheResult::kOff;
  int64_t restore_ms_ = -1, save_ms_ = -1;
};

}  // namespace raibid
