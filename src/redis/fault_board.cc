#include "redis/fault_board.h"

namespace raibid {

void RedisFaultBoard::Set(const std::string& where, std::string description) {
  MutexLock lock(&mu_);
  faults_[where] = std::move(description);
}

void RedisFaultBoard::Clear(const std::string& where) {
  MutexLock lock(&mu_);
  faults_.erase(where);
}

std::optional<std::string> RedisFaultBoard::Current() const {
  MutexLock lock(&mu_);
  if (faults_.empty()) return std::nullopt;
  std::string all;
  for (const auto& [where, text] : faults_) all += (all.empty() ? "" : "; ") + text;
  return all;
}

}  // namespace raibid
