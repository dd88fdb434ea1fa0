#include "runner/cancel_registry.h"

namespace raibid {

void CancelRegistry::Register(const std::string& job_id, StopSource* stop) {
  MutexLock lock(&mu_);
  running_.emplace(job_id, stop);
}

void CancelRegistry::Unregister(const std::string& job_id, StopSource* stop) {
  MutexLock lock(&mu_);
  auto [begin, end] = running_.equal_range(job_id);
  for (auto it = begin; it != end; ++it) {
    if (it->second == stop) {
      running_.erase(it);
      return;
    }
  }
}

bool CancelRegistry::Cancel(const std::string& job_id) {
  MutexLock lock(&mu_);
  auto [begin, end] = running_.equal_range(job_id);
  for (auto it = begin; it != end; ++it) it->second->RequestStop(StopReason::kCancelled);
  return begin != end;
}

}  // namespace raibid

namespace raibid {

std::vector<std::string> CancelRegistry::Running() {
  MutexLock lock(&mu_);
  std::vector<std::string> ids;
  for (const auto& [id, stop] : running_) ids.push_back(id);
  return ids;
}

}  // namespace raibid
