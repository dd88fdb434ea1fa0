#include "agent/disk_survey.h"

#include "util/disk_usage.h"

namespace raibid {

DiskSurvey::DiskSurvey(std::vector<std::pair<std::string, std::filesystem::path>> dirs,
                       Clock& clock, Millis max_age)
    : dirs_(std::move(dirs)), clock_(clock), max_age_(max_age) {}

std::vector<DirUsage> DiskSurvey::Read() {
  MutexLock lock(&mu_);
  const SteadyTime now = clock_.SteadyNow();
  if (!last_.empty() && now - taken_ < max_age_) return last_;
  last_.clear();
  for (const auto& [name, dir] : dirs_) {
    const auto free = FreeBytes(dir);
    last_.push_back(
        {.name = name, .free = free ? static_cast<int64_t>(*free) : -1, .used = TreeBytes(dir)});
  }
  taken_ = now;
  return last_;
}

}  // namespace raibid
