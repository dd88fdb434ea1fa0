#include "agent/idle_upkeep.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "cache/cache_store.h"
#include "executor/docker_executor.h"
#include "runner/job_dirs.h"
#include "runner/job_runner.h"
#include "source/source_cache.h"

namespace raibid {

int RemoveStaleJobDirs(const std::filesystem::path& work_dir,
                       const std::vector<std::string>& running, std::chrono::seconds min_age) {
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(work_dir, ec)) {
    const std::string job_id = JobIdOfDir(entry.path().filename().string());
    if (std::find(running.begin(), running.end(), job_id) != running.end()) continue;
    const auto age = std::filesystem::file_time_type::clock::now() - entry.last_write_time(ec);
    if (ec || age < min_age) continue;
    std::filesystem::remove_all(entry.path(), ec);
    if (!ec) ++removed;
  }
  return removed;
}

void IdleUpkeep::Run() {
  const auto t0 = std::chrono::steady_clock::now();
  auto mirrors = source_.Maintain();
  const int stale = RemoveStaleJobDirs(work_dir_, runner_.cancels().Running());
  uint64_t freed = 0;
  if (cache_) freed = cache_->Evict().value_or(0);
  PruneImages();
  spdlog::info(
      "idle upkeep: {} mirror(s) packed, {} stale workspace(s) removed, {} bytes of cache evicted "
      "in {} ms",
      mirrors.value_or(0), stale, freed,
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count());
}

void IdleUpkeep::PruneImages() {
  if (!docker_) return;
  if (auto pruned = docker_->PruneImages(); !pruned) {
    spdlog::warn("idle upkeep: {}", pruned.error().message);
  } else if (pruned->images > 0) {
    spdlog::info("idle upkeep: {} dangling image(s) pruned, {} bytes", pruned->images,
                 pruned->bytes);
  }
}

}  // namespace raibid
