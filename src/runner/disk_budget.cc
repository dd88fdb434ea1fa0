#include "runner/disk_budget.h"

#include "util/disk_usage.h"
#include "util/input_limits.h"

namespace raibid {

DiskBudget::DiskBudget(std::vector<std::filesystem::path> dirs, uint64_t budget, Millis interval)
    : dirs_(std::move(dirs)), budget_(budget), interval_(interval) {}

DiskBudget::~DiskBudget() { Stop(); }

void DiskBudget::Start() {
  Measure();
  watcher_ = std::thread([this] { Watch(); });
}

void DiskBudget::Stop() {
  {
    MutexLock lock(&mu_);
    if (stop_) return;
    stop_ = true;
  }
  wake_.NotifyAll();
  if (watcher_.joinable()) watcher_.join();
  Measure();
}

std::optional<std::string> DiskBudget::Exceeded() const {
  MutexLock lock(&mu_);
  return exceeded_;
}

uint64_t DiskBudget::peak() const {
  MutexLock lock(&mu_);
  return peak_;
}

uint64_t DiskBudget::last(size_t index) const {
  MutexLock lock(&mu_);
  return index < last_.size() ? last_[index] : 0;
}

uint64_t DiskBudget::Measure() {
  // Walked without the lock: a large workspace takes a while, and Exceeded() must stay quick.
  std::vector<uint64_t> each;
  uint64_t bytes = 0;
  for (const auto& dir : dirs_) bytes += each.emplace_back(TreeBytes(dir));
  MutexLock lock(&mu_);
  last_ = std::move(each);
  peak_ = std::max(peak_, bytes);
  if (bytes > budget_ && !exceeded_) {
    exceeded_ = "the job's files hold " + SizeNear(bytes, budget_) + ", over its disk budget " +
                SizeLimitText("workspace_bytes", budget_);
  }
  return bytes;
}

void DiskBudget::Watch() {
  MutexLock lock(&mu_);
  while (!stop_) {
    if (wake_.WaitFor(&mu_, interval_, [&]() REQUIRES(mu_) { return stop_; })) break;
    lock.Unlock();
    Measure();
    lock.Lock();
  }
}

}  // namespace raibid
