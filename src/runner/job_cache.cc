// The cache part of a job's execution: restore before the first step, save after a pipeline
// that succeeded (unless nothing changed), and what the log, status and metrics say about it.
#include <nlohmann/json.hpp>

#include "cache/remote_tier.h"
#include "runner/execution.h"
#include "util/text.h"

namespace raibid {
namespace {

int64_t MillisSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

// A local miss asks the registry for the exact keys; a found entry lands in the local store.
std::optional<CacheHit> JobRunner::Execution::FindRemote() {
  RegistryClient* client = options_.cache_remote ? Registry() : nullptr;
  if (!client || !cache_plan_) return std::nullopt;  // RestoreCache sets cache_plan_ first
  RemoteCacheTier remote(*client);
  for (const auto& key : cache_plan_->lookup.keys) {
    auto fetched = remote.Fetch(key, options_.cache->EntryPath(key), options_.limits);
    if (!fetched) {
      Sys("cache: remote lookup of " + key.ToString() + " failed: " + fetched.error().message);
      return std::nullopt;
    }
    if (*fetched) {
      Sys("cache: fetched " + key.ToString() + " from the registry");
      return CacheHit{options_.cache->EntryPath(key), key.ToString(), true};
    }
  }
  return std::nullopt;
}

std::optional<JobRunner::Execution::Failure> JobRunner::Execution::RestoreCache(
    const Pipeline& pipeline) {
  if (!options_.cache || !job_.cache_enabled) return std::nullopt;
  const std::string branch = !job_.branch.empty() ? job_.branch : job_.tag;
  auto plan = MakeCachePlan({.pipeline = &pipeline,
                             .repository = url_,
                             .branch = branch,
                             .workspace = workspace_,
                             .home = home_});
  if (!plan)
    return Failure{JobState::kFailed, ErrorKind::kInvalidPipeline, plan.error().message, {}};
  if (plan->empty()) return std::nullopt;
  std::error_code ec;
  std::filesystem::create_directories(home_, ec);
  cache_plan_ = std::move(*plan);
  cache_key_ = cache_plan_->save_key.ToString();
  cache_result_ = "miss";
  if (cache_plan_->policy != CachePolicy::kPush) {
    const auto t0 = std::chrono::steady_clock::now();
    auto hit = options_.cache->Find(cache_plan_->lookup);
    if (!hit || !hit->exact) {
      if (auto remote = FindRemote()) hit = remote;
    }
    if (hit) {
      auto restored = options_.cache->Restore(*hit, cache_plan_->roots, options_.limits);
      cache_restore_ms_ = MillisSince(t0);
      if (restored) {
        cache_result_ = hit->exact ? "hit" : "fallback";
        Sys("cache: restored " + hit->key + " (" + std::to_string(restored->files) + " files, " +
            FormatBytes(restored->bytes) + ") in " + std::to_string(cache_restore_ms_) + " ms");
      } else {
        Sys("cache: entry " + hit->key + " could not be restored and was dropped (" +
            restored.error().message + "); starting cold");
      }
    } else {
      Sys("cache: miss for " + cache_key_);
    }
  }
  observer_.CacheRequest("deps", cache_result_ != "miss");
  cache_fingerprint_ = Fingerprint(cache_plan_->roots);
  return std::nullopt;
}

void JobRunner::Execution::SaveCache() {
  if (!cache_plan_ || cache_plan_->policy == CachePolicy::kPull) return;
  if (cache_result_ == "hit" && Fingerprint(cache_plan_->roots) == cache_fingerprint_) {
    Sys("cache: nothing changed since the restore; not saving");
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto saved = options_.cache->Save(cache_plan_->save_key, cache_plan_->roots, options_.limits);
  cache_save_ms_ = MillisSince(t0);
  if (!saved) {
    Sys("cache: warning: " + cache_key_ + " not saved: " + saved.error().message +
        "; the job is not affected");
    return;
  }
  Sys("cache: saved " + cache_key_ + " (" + std::to_string(saved->files) + " files, " +
      FormatBytes(saved->bytes) + ") in " + std::to_string(cache_save_ms_) + " ms");
  if (RegistryClient* client = options_.cache_remote ? Registry() : nullptr) {
    const auto t1 = std::chrono::steady_clock::now();
    auto pushed = RemoteCacheTier(*client).Push(cache_plan_->save_key,
                                                options_.cache->EntryPath(cache_plan_->save_key));
    Sys(pushed ? "cache: pushed " + cache_key_ + " to the registry in " +
                     std::to_string(MillisSince(t1)) + " ms"
               : "cache: pushing to the registry failed (" + pushed.error().message +
                     "); the job is not affected");
  }
  if (auto freed = options_.cache->Evict(); freed && *freed > 0) {
    Sys("cache: evicted " + FormatBytes(*freed) + " of least recently used entries");
  }
}

void JobRunner::Execution::RecordCache() {
  if (!cache_plan_) return;
  nlohmann::ordered_json cache = {{"key", cache_key_}, {"result", cache_result_}};
  cache["restore_ms"] =
      cache_restore_ms_ >= 0 ? nlohmann::ordered_json(cache_restore_ms_) : nullptr;
  cache["save_ms"] = cache_save_ms_ >= 0 ? nlohmann::ordered_json(cache_save_ms_) : nullptr;
  (void)status_.Annotate({{"cache", cache.dump()}});
}

}  // namespace raibid
