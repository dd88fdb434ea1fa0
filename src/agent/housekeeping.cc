// The agent's housekeeping thread: lease renewal for running jobs, the heartbeat hash, and
// trimming of delivered entries from the job stream. Its own Redis connection.
#include <spdlog/spdlog.h>

#include "agent/agent.h"
#include "redis/fault.h"
#include "util/clock.h"

namespace raibid {
namespace {

// The heartbeat states of docs/reference.md: idle, busy, draining.
std::string_view StateName(AgentState s, bool busy) {
  if (s == AgentState::kDraining || s == AgentState::kStopped) return "draining";
  return busy ? "busy" : "idle";
}

}  // namespace

Agent::StreamLeases Agent::LeasesOn(Redis& redis) const {
  StreamLeases leases;
  for (const std::string& stream : options_.queue.all_streams()) {
    leases.try_emplace(stream, redis, options_.queue.For(stream));
  }
  return leases;
}

// Every stream in turn, until the free slots are taken.
Result<std::vector<StreamEntry>> Agent::ClaimAbandoned(StreamLeases& leases, int free_slots) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_claim_ < options_.lease / 2) return std::vector<StreamEntry>{};
  last_claim_ = now;
  std::vector<StreamEntry> claimed;
  for (auto& [stream, stream_leases] : leases) {
    const int want = free_slots - static_cast<int>(claimed.size());
    if (want <= 0) break;
    auto got = stream_leases.ClaimAbandoned(options_.lease, want);
    if (!got) return got;
    for (auto& e : *got) claimed.push_back(std::move(e));
  }
  return claimed;
}

void Agent::RenewLeases(StreamLeases& leases) {
  std::vector<std::pair<std::string, std::string>> ids;  // (stream, id)
  {
    MutexLock lock(&mu_);
    for (const auto& [key, stop] : running_) ids.push_back(key);
  }
  for (const auto& key : ids) {
    const auto& [stream, id] = key;
    auto it = leases.find(stream.empty() ? options_.queue.stream : stream);
    if (it == leases.end()) continue;  // cannot happen: entries come from these streams
    auto renewed = it->second.Renew(id);
    if (!renewed) {
      spdlog::warn("lease renewal of {}: {}", id, renewed.error().message);
      continue;  // Redis trouble: try again next tick; the lease has slack
    }
    if (*renewed) continue;
    spdlog::warn("entry {} was taken over by another agent; stopping this copy", id);
    MutexLock lock(&mu_);
    if (auto it = running_.find(key); it != running_.end()) {
      it->second->RequestStop(StopReason::kLeaseLost);
    }
  }
}

Heartbeat::Fields Agent::HeartbeatFields() {
  const auto jobs = runner_.cancels().Running();
  bool busy = false;
  {
    MutexLock lock(&mu_);
    busy = busy_ > 0;
  }
  std::string job_ids;
  for (const auto& j : jobs) job_ids += (job_ids.empty() ? "" : ",") + j;
  return {{"state", std::string(StateName(state_.load(), busy))},
          {"job_id", job_ids},
          {"version", options_.version},
          {"started_at", started_at_},
          {"last_seen", NowRfc3339()},
          {"slots", std::to_string(options_.concurrency)},
          {"local_fault", LocalFault().value_or("")}};
}

void Agent::Beat(Redis& redis) {
  const auto now = std::chrono::steady_clock::now();
  if (now < heartbeat_next_) return;  // backing off after a refusal
  auto held = heartbeat_.Beat(redis, HeartbeatFields());
  if (!held) {
    if (!redis.ok()) return;  // the connection broke: reconnected at the next tick
    const Millis delay = heartbeat_backoff_.Next().value_or(options_.fault_backoff.cap);
    heartbeat_next_ = now + delay;
    options_.faults->Set("heartbeat", held.error().message);
    spdlog::warn("heartbeat refused ({}); next try in {:.1f} s", held.error().message,
                 delay.count() / 1000.0);
    return;
  }
  if (heartbeat_backoff_.retries() > 0) heartbeat_backoff_ = Backoff(options_.fault_backoff);
  options_.faults->Clear("heartbeat");
  if (!*held || displaced_.exchange(true)) return;
  spdlog::error(
      "consumer name '{}' was taken over by instance {} (`run --take-over`); this agent "
      "(instance {}) stops taking jobs",
      options_.queue.consumer, (*held)->instance, heartbeat_.instance());
  RequestStop();
}

// A fault is rechecked every tick: the agent takes jobs again as soon as the probe passes.
void Agent::RecheckLocalFault() {
  std::chrono::steady_clock::time_point since;
  {
    MutexLock lock(&fault_mu_);
    if (!local_fault_) return;
    since = fault_since_;
  }
  Status ok = options_.local_probe ? options_.local_probe()
                                   : (std::chrono::steady_clock::now() - since >= options_.lease
                                          ? Status{}
                                          : Fail(ErrorKind::kInfrastructure, "waiting one lease"));
  if (!ok) return;
  MutexLock lock(&fault_mu_);
  spdlog::info("the fault that stopped this agent has cleared ({}); taking jobs again",
               local_fault_.value_or(""));
  local_fault_.reset();
}

// Starts the upkeep once per idle stretch, on a thread of its own so lease renewals never wait
// for it. Jobs may start while it runs: the upkeep touches only what no running job holds (the
// mirrors under their locks, entries by rename, workspaces of jobs not running; see daemon.cc).
void Agent::MaintainIfIdle() {
  if (!options_.maintain || options_.maintain_after_idle.count() == 0) return;
  bool busy;
  {
    MutexLock lock(&mu_);
    busy = busy_ > 0;
  }
  // A job that started and ended between two ticks counts as activity too.
  const uint64_t finished = jobs_finished_.load();
  busy = busy || finished != jobs_seen_;
  jobs_seen_ = finished;
  const auto now = std::chrono::steady_clock::now();
  if (busy) {
    last_busy_ = now;
    maintained_since_busy_ = false;
    return;
  }
  if (maintained_since_busy_ || now - last_busy_ < options_.maintain_after_idle) return;
  if (maintainer_.joinable()) {
    if (!maintaining_)
      maintainer_.join();
    else
      return;  // the last round still runs
  }
  maintained_since_busy_ = true;
  maintaining_ = true;
  maintainer_ = std::thread([this] {
    options_.maintain();
    maintaining_ = false;
  });
}

void Agent::HousekeepingLoop() {
  const auto tick = std::max(std::chrono::milliseconds(200), options_.lease / 3);
  auto last_trim = std::chrono::steady_clock::now();
  std::unique_ptr<Redis> redis;
  MutexLock lock(&mu_);
  while (!housekeeping_stop_) {
    lock.Unlock();
    if (!redis || !redis->ok()) {
      auto conn = Redis::Connect(options_.redis);
      if (conn) redis = std::move(*conn);
    }
    if (redis && redis->ok()) {
      StreamLeases leases = LeasesOn(*redis);
      RenewLeases(leases);
      RecheckLocalFault();
      Beat(*redis);
      MaintainIfIdle();
      if (std::chrono::steady_clock::now() - last_trim >= options_.trim_interval) {
        last_trim = std::chrono::steady_clock::now();
        for (const std::string& stream : options_.queue.all_streams()) {
          JobQueue queue(*redis, options_.queue.For(stream));
          if (auto trimmed = queue.TrimDelivered(); !trimmed) {
            spdlog::warn("trimming {}: {}", stream, trimmed.error().message);
          }
        }
      }
    }
    lock.Lock();
    housekeeping_cv_.WaitFor(&mu_, tick, [&]() REQUIRES(mu_) { return housekeeping_stop_; });
  }
}

}  // namespace raibid
