#include "agent/disk_guard.h"

#include <spdlog/spdlog.h>

#include "agent/readiness.h"
#include "util/text.h"

namespace raibid {

DiskGuard::DiskGuard(DiskGuardOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

std::optional<std::string> DiskGuard::reason() const {
  MutexLock lock(&mu_);
  return reason_;
}

std::optional<std::string> DiskGuard::LowDir() const {
  if (options_.min_free == 0 || !options_.free_bytes) return std::nullopt;
  for (const auto& [what, dir] : options_.dirs) {
    const std::optional<uint64_t> free = options_.free_bytes(dir);
    if (!free || *free >= options_.min_free) continue;
    return LowSpaceReason(what, dir, *free, options_.min_free);
  }
  return std::nullopt;
}

std::optional<std::string> DiskGuard::EvictForRoom(std::string low) {
  if (!options_.evict) return low;
  auto freed = options_.evict([this] { return !LowDir(); });
  if (!freed) {
    spdlog::warn("{}; evicting caches failed: {}", low, freed.error().message);
  } else if (*freed > 0) {
    spdlog::info("{}: evicted {} of cache entries", low, FormatBytes(*freed));
  }
  return LowDir();
}

std::optional<std::string> DiskGuard::Check() {
  const SteadyTime now = clock_.SteadyNow();
  std::optional<std::string> before;
  {
    MutexLock lock(&mu_);
    if (looked_ && now - *looked_ < options_.interval) return reason_;
    looked_ = now;
    before = reason_;
  }
  std::optional<std::string> low = LowDir();
  if (low) low = EvictForRoom(std::move(*low));
  // Said once each way, not at every look.
  if (low && !before) spdlog::warn("{}: taking no jobs until there is room", *low);
  if (!low && before) spdlog::info("disk space is back above agent.min_free_disk: taking jobs");
  MutexLock lock(&mu_);
  reason_ = low;
  return low;
}

}  // namespace raibid
