#include "runner/job_cache.h"

#include <nlohmann/json.hpp>

#include "cache/remote_tier.h"
#include "executor/step_report.h"
#include "runner/job_registry.h"
#include "util/text.h"

namespace raibid {

std::string_view ToString(CacheResult result) {
  switch (result) {
    case CacheResult::kOff:
      return "off";
    case CacheResult::kMiss:
      return "miss";
    case CacheResult::kHit:
      return "hit";
    case CacheResult::kFallback:
      return "fallback";
  }
  return "off";
}

JobCache::JobCache(CacheStore* store, JobRegistry* remote, const InputLimits& limits, Clock& clock,
                   LogSink& log, RunObserver& observer)
    : store_(store),
      remote_(remote),
      limits_(limits),
      clock_(clock),
      log_(log),
      observer_(observer) {}

// A local miss asks the registry for the exact keys; a found entry lands in the local store.
std::optional<CacheHit> JobCache::FindRemote() {
  RegistryClient* client = remote_ ? remote_->Client() : nullptr;
  if (!client) return std::nullopt;
  RemoteCacheTier remote(*client);
  for (const auto& key : plan_->lookup.keys) {
    auto fetched = remote.Fetch(key, store_->EntryPath(key), limits_);
    if (!fetched) {
      WriteSys(log_, "",
               "cache: remote lookup of " + key.ToString() + " failed: " + fetched.error().message);
      return std::nullopt;
    }
    if (*fetched) {
      WriteSys(log_, "", "cache: fetched " + key.ToString() + " from the registry");
      return CacheHit{store_->EntryPath(key), key.ToString(), true};
    }
  }
  return std::nullopt;
}

Status JobCache::Restore(const Pipeline& pipeline, const Job& job,
                         const std::string& repository_url, const JobPaths& paths) {
  if (!store_ || !job.cache_enabled) return {};
  auto plan = MakeCachePlan({.pipeline = &pipeline,
                             .repository = repository_url,
                             .branch = !job.branch.empty() ? job.branch : job.tag,
                             .workspace = paths.workspace,
                             .home = paths.home});
  if (!plan) return Fail(ErrorKind::kInvalidPipeline, plan.error().message);
  if (plan->empty()) return {};
  home_ = paths.home;
  std::error_code ec;
  std::filesystem::create_directories(home_, ec);
  plan_ = std::move(*plan);
  key_ = plan_->save_key.ToString();
  result_ = CacheResult::kMiss;
  if (plan_->policy != CachePolicy::kPush) {
    const SteadyTime t0 = clock_.SteadyNow();
    auto hit = store_->Find(plan_->lookup);
    if (!hit || !hit->exact) {
      if (auto remote = FindRemote()) hit = remote;
    }
    if (hit) {
      auto restored = store_->Restore(*hit, plan_->roots, limits_);
      restore_ms_ = std::chrono::duration_cast<Millis>(clock_.SteadyNow() - t0).count();
      if (restored) {
        result_ = hit->exact ? CacheResult::kHit : CacheResult::kFallback;
        WriteSys(log_, "",
                 "cache: restored " + hit->key + " (" + std::to_string(restored->files) +
                     " files, " + FormatBytes(restored->bytes) + ") in " +
                     std::to_string(restore_ms_) + " ms");
      } else {
        WriteSys(log_, "",
                 "cache: entry " + hit->key + " could not be restored and was dropped (" +
                     restored.error().message + "); starting cold");
      }
    } else {
      WriteSys(log_, "", "cache: miss for " + key_);
    }
  }
  observer_.CacheRequest("deps", result_ != CacheResult::kMiss);
  fingerprint_ = Fingerprint(plan_->roots);
  return {};
}

void JobCache::Save() {
  if (!plan_ || plan_->policy == CachePolicy::kPull) return;
  if (result_ == CacheResult::kHit && Fingerprint(plan_->roots) == fingerprint_) {
    WriteSys(log_, "", "cache: nothing changed since the restore; not saving");
    return;
  }
  const SteadyTime t0 = clock_.SteadyNow();
  auto saved = store_->Save(plan_->save_key, plan_->roots, limits_);
  save_ms_ = std::chrono::duration_cast<Millis>(clock_.SteadyNow() - t0).count();
  if (!saved) {
    WriteSys(log_, "",
             "cache: warning: " + key_ + " not saved: " + saved.error().message +
                 "; the job is not affected");
    return;
  }
  WriteSys(log_, "",
           "cache: saved " + key_ + " (" + std::to_string(saved->files) + " files, " +
               FormatBytes(saved->bytes) + ") in " + std::to_string(save_ms_) + " ms");
  PushRemote();
  if (auto freed = store_->Evict(); freed && *freed > 0) {
    WriteSys(log_, "", "cache: evicted " + FormatBytes(*freed) + " of least recently used entries");
  }
}

void JobCache::PushRemote() {
  RegistryClient* client = remote_ ? remote_->Client() : nullptr;
  if (!client) return;
  const SteadyTime t0 = clock_.SteadyNow();
  auto pushed = RemoteCacheTier(*client).Push(plan_->save_key, store_->EntryPath(plan_->save_key));
  const auto took = std::chrono::duration_cast<Millis>(clock_.SteadyNow() - t0).count();
  WriteSys(log_, "",
           pushed ? "cache: pushed " + key_ + " to the registry in " + std::to_string(took) + " ms"
                  : "cache: pushing to the registry failed (" + pushed.error().message +
                        "); the job is not affected");
}

void JobCache::AddStepEnv(std::map<std::string, std::string>& env) const {
  if (!plan_) return;
  for (const auto& [k, v] : plan_->env) env.emplace(k, v);
  env["RAIBID_CACHE_HOME"] = home_.string();
}

std::optional<std::string> JobCache::StatusField() const {
  if (!plan_) return std::nullopt;
  nlohmann::ordered_json cache = {{"key", key_}, {"result", std::string(ToString(result_))}};
  cache["restore_ms"] = restore_ms_ >= 0 ? nlohmann::ordered_json(restore_ms_) : nullptr;
  cache["save_ms"] = save_ms_ >= 0 ? nlohmann::ordered_json(save_ms_) : nullptr;
  return cache.dump();
}

}  // namespace raibid
