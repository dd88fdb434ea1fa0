#include "executor/container_meter.h"

#include <set>

namespace raibid {

ContainerMeter::ContainerMeter(Connect connect, Millis interval)
    : connect_(std::move(connect)), interval_(interval) {
  sampler_ = std::thread([this] { Loop(); });
}

ContainerMeter::~ContainerMeter() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  wake_.NotifyAll();
  sampler_.join();
}

std::optional<ContainerUsage> ContainerMeter::Read(const std::string& container) {
  MutexLock lock(&client_mu_);
  if (!client_) client_ = connect_();
  auto usage = client_->ContainerStats(container);
  if (!usage) return std::nullopt;  // a stopped or removed container: the last reading stands
  return *usage;
}

void ContainerMeter::Add(Step& step, const std::optional<ContainerUsage>& usage) {
  if (!usage) return;
  if (!step.cpu_start) step.cpu_start = usage->cpu_ns;
  step.cpu_last = usage->cpu_ns;
  if (usage->memory_bytes) step.peak = std::max(step.peak.value_or(0), *usage->memory_bytes);
}

int ContainerMeter::Begin(const std::string& container) {
  const auto usage = Read(container);
  MutexLock lock(&mu_);
  const int token = next_++;
  Add(steps_[token] = Step{.container = container}, usage);
  wake_.NotifyAll();
  return token;
}

ContainerMeter::Used ContainerMeter::End(int token) {
  std::string container;
  {
    MutexLock lock(&mu_);
    container = steps_.at(token).container;
  }
  const auto usage = Read(container);
  MutexLock lock(&mu_);
  Step step = steps_.at(token);
  steps_.erase(token);
  Add(step, usage);
  Used used{.peak_memory_bytes = step.peak};
  if (step.cpu_start && step.cpu_last && *step.cpu_last >= *step.cpu_start) {
    used.cpu_seconds = static_cast<double>(*step.cpu_last - *step.cpu_start) / 1e9;
  }
  return used;
}

void ContainerMeter::Sample() {
  std::set<std::string> containers;
  {
    MutexLock lock(&mu_);
    for (const auto& [token, step] : steps_) containers.insert(step.container);
  }
  for (const auto& container : containers) {
    const auto usage = Read(container);
    MutexLock lock(&mu_);
    for (auto& [token, step] : steps_) {
      if (step.container == container) Add(step, usage);
    }
  }
}

void ContainerMeter::Loop() {
  MutexLock lock(&mu_);
  while (!stop_) {
    // Asleep while no step runs; a reading every interval while one does.
    if (steps_.empty()) {
      wake_.Wait(&mu_, [&]() REQUIRES(mu_) { return stop_ || !steps_.empty(); });
      continue;
    }
    if (wake_.WaitFor(&mu_, interval_, [&]() REQUIRES(mu_) { return stop_; })) break;
    lock.Unlock();
    Sample();
    lock.Lock();
  }
}

}  // namespace raibid
