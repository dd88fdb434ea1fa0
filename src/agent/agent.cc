#include "agent/agent.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "redis/eviction_policy.h"
#include "runner/job_log_line.h"
#include "util/backoff.h"
#include "util/clock.h"
#include "util/text.h"

namespace raibid {

struct Agent::Slot {
  int index = 0;
  StopSource* stop = nullptr;  // the running job's, GUARDED_BY(Agent::mu_)
  std::thread thread;
};

namespace {

// The heartbeat outlives three missed ticks of the housekeeper (a tick is a third of the lease).
std::chrono::seconds HeartbeatTtl(std::chrono::milliseconds lease) {
  return std::chrono::seconds(std::max<int64_t>(
      3, 3 * std::chrono::duration_cast<std::chrono::seconds>(lease / 3).count()));
}

}  // namespace

Agent::Agent(AgentOptions options, JobRunner& runner)
    : options_(std::move(options)),
      runner_(runner),
      heartbeat_(options_.queue.consumer, Heartbeat::NewInstanceId(), HeartbeatTtl(options_.lease)),
      started_at_(NowRfc3339()) {}

Agent::~Agent() {
  {
    MutexLock lock(&mu_);
    slots_stop_ = true;
    housekeeping_stop_ = true;
  }
  work_cv_.NotifyAll();
  housekeeping_cv_.NotifyAll();
  if (housekeeper_.joinable()) housekeeper_.join();
  if (maintainer_.joinable()) maintainer_.join();
  for (auto& slot : slots_) {
    if (slot->thread.joinable()) slot->thread.join();
  }
}

void Agent::RequestStop() {
  const int n = ++stop_requests_;
  {
    MutexLock lock(&mu_);
    if (n > 1) {
      for (auto& slot : slots_) {
        if (slot->stop) slot->stop->RequestStop(StopReason::kShutdown);
      }
    }
  }
  free_cv_.NotifyAll();
}

void Agent::Tick() { last_tick_ns_ = std::chrono::steady_clock::now().time_since_epoch().count(); }

bool Agent::LoopAlive(std::chrono::milliseconds max_age) const {
  const auto last = std::chrono::steady_clock::time_point(
      std::chrono::steady_clock::duration(last_tick_ns_.load()));
  return std::chrono::steady_clock::now() - last <= max_age;
}

bool Agent::Ready() const {
  const AgentState s = state_.load();
  return connected_.load() && s == AgentState::kRunning && !redis_fault() && !LocalFault();
}

std::optional<std::string> Agent::eviction_policy() const {
  MutexLock lock(&policy_mu_);
  return eviction_policy_;
}

void Agent::CheckEvictionPolicy(Redis& redis) {
  if (policy_checked_) return;
  auto policy = ReadEvictionPolicy(redis);
  if (!policy) return;  // the connection failed: next time
  policy_checked_ = true;
  if (!*policy) {
    spdlog::debug("redis: CONFIG GET maxmemory-policy not permitted; eviction policy unknown");
    return;
  }
  if (MayEvict(**policy)) {
    spdlog::warn(
        "redis maxmemory-policy is {}: when memory runs out Redis may evict queued jobs and job "
        "status; set it to noeviction (docs/reliability.md)",
        **policy);
  }
  MutexLock lock(&policy_mu_);
  eviction_policy_ = *policy;
}

void Agent::SleepAlive(Millis delay) {
  // Short pieces, so the loop stays visibly alive and a stop is noticed.
  for (auto slept = Millis(0); slept < delay && stop_requests_ == 0; slept += Millis(100)) {
    Tick();
    std::this_thread::sleep_for(std::min(Millis(100), delay - slept));
  }
}

void Agent::WaitOutFault(const Error& error, Backoff& backoff) {
  options_.faults->Set("consumer", error.message);
  const Millis delay = backoff.Next().value_or(options_.fault_backoff.cap);
  spdlog::warn("{}; retrying in {:.1f} s", error.message, delay.count() / 1000.0);
  SleepAlive(delay);
}

std::optional<std::string> Agent::LocalFault() const {
  MutexLock lock(&fault_mu_);
  return local_fault_;
}

int Agent::busy_slots() {
  MutexLock lock(&mu_);
  return busy_;
}

Result<std::unique_ptr<Redis>> Agent::ConnectWithRetry(bool announce) {
  Backoff backoff({.initial = std::chrono::milliseconds(250), .max_retries = -1});
  bool failed = false;
  while (stop_requests_ == 0) {
    Tick();
    auto conn = Redis::Connect(options_.redis);
    if (conn) {
      if (failed) Redis::CountReconnect();
      if (failed && announce)
        spdlog::info("redis at {} is reachable again", Describe(options_.redis));
      return conn;
    }
    failed = true;
    options_.faults->Set("consumer", conn.error().message);
    const auto delay = backoff.Next();
    if (!delay) return std::unexpected(conn.error());  // never: max_retries is -1
    spdlog::warn("{}; retrying in {} ms", conn.error().message, delay->count());
    SleepAlive(*delay);
  }
  return Fail(ErrorKind::kInfrastructure, "stopped before redis was reachable");
}

RunResult Agent::RunEntry(Slot& slot, Redis& redis, const StreamEntry& entry) {
  StopSource stop;
  {
    MutexLock lock(&mu_);
    slot.stop = &stop;
    running_[{entry.stream, entry.id}] = &stop;
    if (stop_requests_ > 1) stop.RequestStop(StopReason::kShutdown);
  }
  JobQueue queue(redis, options_.queue.For(entry.stream));
  const auto t0 = std::chrono::steady_clock::now();
  RunResult result = runner_.Run(entry, redis, queue, stop);
  LogDeliveryEnded(entry.id, result,
                   std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0));
  if (result.disposition == Disposition::kHandedBack) HandBack(redis, entry, result.message);
  MutexLock lock(&mu_);
  slot.stop = nullptr;
  running_.erase({entry.stream, entry.id});
  return result;
}

void Agent::HandBack(Redis& redis, const StreamEntry& entry, const std::string& fault) {
  {
    MutexLock lock(&fault_mu_);
    if (!local_fault_) fault_since_ = std::chrono::steady_clock::now();
    local_fault_ = fault;
  }
  spdlog::error("this agent cannot run jobs: {}; it takes none until that clears", fault);
  // Unacknowledged and idle at once: the next agent to look for abandoned entries takes it.
  Leases leases(redis, options_.queue.For(entry.stream));
  if (auto released = leases.Release(entry.id); !released) {
    spdlog::warn("releasing {}: {}; it is taken over once its lease runs out", entry.id,
                 released.error().message);
  }
}

void Agent::SlotLoop(Slot& slot) {
  std::unique_ptr<Redis> redis;
  while (true) {
    StreamEntry entry;
    {
      MutexLock lock(&mu_);
      work_cv_.Wait(&mu_, [&]() REQUIRES(mu_) { return slots_stop_ || !inbox_.empty(); });
      if (inbox_.empty()) return;
      entry = std::move(inbox_.front());
      inbox_.pop_front();
    }
    // A slot's connection can break while it is idle (Redis restarted, Sentinel failed over): the
    // job's first command finds out, before anything ran, and the job runs on a new connection
    // instead of waiting for its lease to lapse.
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!redis || !redis->ok()) {
        auto conn = ConnectWithRetry();
        if (conn) redis = std::move(*conn);
      }
      if (!redis || RunEntry(slot, *redis, entry).disposition != Disposition::kNotStarted) break;
    }
    ++jobs_finished_;
    {
      MutexLock lock(&mu_);
      --busy_;
      last_active_ = std::chrono::steady_clock::now();
    }
    free_cv_.NotifyAll();
  }
}

void Agent::Dispatch(std::vector<StreamEntry> entries) {
  {
    MutexLock lock(&mu_);
    for (auto& e : entries) inbox_.push_back(std::move(e));
    busy_ += static_cast<int>(entries.size());
    taken_ += static_cast<int>(entries.size());
    last_active_ = std::chrono::steady_clock::now();
  }
  work_cv_.NotifyAll();
}

void Agent::TakeAtMost(std::vector<StreamEntry> entries, size_t limit, StreamLeases& leases) {
  for (size_t i = limit; i < entries.size(); ++i) {
    const StreamEntry& extra = entries[i];
    auto it = leases.find(extra.stream);
    auto released = it == leases.end() ? Result<bool>(false) : it->second.Release(extra.id);
    spdlog::debug("more entries than free slots: handing {} of {} back", extra.id, extra.stream);
    if (!released) spdlog::warn("handing {} back: {}", extra.id, released.error().message);
    last_claim_ = {};  // so the next free slot claims it at once, unless another agent did
  }
  if (entries.size() > limit) entries.resize(limit);
  if (!entries.empty()) Dispatch(std::move(entries));
}

std::optional<std::string> Agent::OneShotEnd(int* free_slots) {
  *free_slots = options_.concurrency - busy_;
  if (options_.max_jobs > 0) {
    if (taken_ >= options_.max_jobs && busy_ == 0) {
      return fmt::format("{} job(s) ended (max_jobs {})", taken_, options_.max_jobs);
    }
    *free_slots = std::min(*free_slots, options_.max_jobs - taken_);
  }
  const auto idle = std::chrono::steady_clock::now() - last_active_;
  if (options_.exit_after_idle.count() > 0 && busy_ == 0 && idle >= options_.exit_after_idle) {
    return fmt::format("idle for {} (exit_after_idle)",
                       FormatDuration(std::chrono::duration_cast<Millis>(idle)));
  }
  return std::nullopt;
}

// One round of the consumer loop: wait for a free slot, then read. An Error when Redis failed.
Status Agent::ConsumeOnce(JobQueue& queue, StreamLeases& leases) {
  Tick();
  int free_slots = 0;
  std::optional<std::string> end;
  {
    MutexLock lock(&mu_);
    // A one-shot agent that has taken its jobs waits for them to end instead.
    while (!free_cv_.WaitFor(&mu_, options_.block, [&]() REQUIRES(mu_) {
      const bool used_up = options_.max_jobs > 0 && taken_ >= options_.max_jobs;
      return stop_requests_ > 0 || (used_up ? busy_ == 0 : busy_ < options_.concurrency);
    })) {
      Tick();  // all slots busy: still alive
    }
    if (stop_requests_ > 0) return {};
    end = OneShotEnd(&free_slots);
    state_ = AgentState::kRunning;
    if (!end && LocalFault()) {
      // Jobs are left to healthy agents until the housekeeper finds the fault cleared.
      (void)free_cv_.WaitFor(&mu_, options_.block,
                             [&]() REQUIRES(mu_) { return stop_requests_ > 0; });
      return {};
    }
  }
  if (end) {
    spdlog::info("{}: stopping", *end);
    RequestStop();
    return {};
  }
  if (options_.hold_jobs && options_.hold_jobs()) {
    SleepAlive(options_.block);
    return {};
  }
  auto claimed = ClaimAbandoned(leases, free_slots);
  if (!claimed) return std::unexpected(claimed.error());
  if (!claimed->empty()) {
    spdlog::info("taking over {} job(s) whose agent stopped renewing its lease", claimed->size());
    TakeAtMost(std::move(*claimed), free_slots, leases);
    return {};
  }
  auto entries = queue.ReadNew(free_slots, options_.block);
  if (!entries) {
    return Fail(ErrorKind::kInfrastructure,
                fmt::format("reading {}: {}", fmt::join(options_.queue.all_streams(), ", "),
                            entries.error().message));
  }
  TakeAtMost(std::move(*entries), free_slots, leases);
  return {};
}

void Agent::Drain() {
  state_ = AgentState::kDraining;
  MutexLock lock(&mu_);
  if (busy_ > 0)
    spdlog::info("draining: waiting up to {} s for {} running job(s)",
                 options_.shutdown_grace.count(), busy_);
  if (!free_cv_.WaitFor(&mu_, options_.shutdown_grace,
                        [&]() REQUIRES(mu_) { return busy_ == 0; })) {
    spdlog::warn("shutdown grace ended; interrupting running jobs, they stay pending");
    for (auto& slot : slots_) {
      if (slot->stop) slot->stop->RequestStop(StopReason::kShutdown);
    }
  }
  free_cv_.Wait(&mu_, [&]() REQUIRES(mu_) { return busy_ == 0; });
  slots_stop_ = true;
  lock.Unlock();
  work_cv_.NotifyAll();
  for (auto& slot : slots_) slot->thread.join();
  {
    MutexLock guard(&mu_);
    housekeeping_stop_ = true;
  }
  housekeeping_cv_.NotifyAll();
  if (housekeeper_.joinable()) housekeeper_.join();
  if (maintainer_.joinable()) maintainer_.join();
  // Leaving the group drops pending entries with the consumer, so only an agent with nothing
  // pending leaves; otherwise its entries wait for another agent's claim.
  // A displaced agent leaves the consumer (and its entries) to the instance that took it over.
  if (auto redis = Redis::Connect(options_.redis); redis && !displaced_) {
    JobQueue queue(**redis, options_.queue);
    auto removed = queue.RemoveConsumerIfIdle();
    if (removed && !*removed)
      spdlog::info("entries still pending: staying in the group for another agent to claim");
    (void)heartbeat_.Remove(**redis);
  }
  state_ = AgentState::kStopped;
}

void Agent::LogConnected(const std::optional<std::chrono::steady_clock::time_point>& lost_at) {
  const std::string where = Describe(options_.redis);
  if (!lost_at) {
    spdlog::info("connected to redis at {}: consuming {} in group {}", where,
                 fmt::join(options_.queue.all_streams(), ", "), options_.queue.group);
    return;
  }
  spdlog::info("reconnected to redis at {} after {} without it", where,
               FormatSeconds(std::chrono::steady_clock::now() - *lost_at, 1));
}

// Takes the consumer name before anything runs under it; false when another live instance
// holds it (logged) or a stop came first.
bool Agent::ClaimName() {
  auto redis = ConnectWithRetry();
  if (!redis) return false;
  auto claimed = heartbeat_.Claim(**redis, HeartbeatFields(), options_.take_over,
                                  [this] { return stop_requests_ > 0; });
  if (!claimed) {
    spdlog::error("{}", claimed.error().message);
    return false;
  }
  if (options_.take_over) {
    spdlog::warn("took consumer name '{}' over (instance {})", options_.queue.consumer,
                 heartbeat_.instance());
  }
  return true;
}

int Agent::Run() {
  Tick();
  if (!ClaimName()) {
    state_ = AgentState::kStopped;
    return stop_requests_ > 0 ? 0 : 2;
  }
  {
    // A second stop signal may already be walking slots_ in RequestStop (the signal thread).
    MutexLock lock(&mu_);
    for (int i = 0; i < options_.concurrency; ++i) {
      auto slot = std::make_unique<Slot>();
      slot->index = i;
      slots_.push_back(std::move(slot));
    }
  }
  for (auto& slot : slots_) slot->thread = std::thread([this, s = slot.get()] { SlotLoop(*s); });
  cancel_listener_ = std::make_unique<CancelListener>(options_.redis, runner_.cancels());
  cancel_view_ = cancel_listener_.get();
  housekeeper_ = std::thread([this] { HousekeepingLoop(); });

  bool recovered_pending = false;
  std::optional<std::chrono::steady_clock::time_point> lost_at;  // since the last loss
  // Shared by every way Redis can refuse the consumer, so no path retries at once; reset by a
  // round that went through.
  Backoff backoff(options_.fault_backoff);
  while (stop_requests_ == 0) {
    auto redis = ConnectWithRetry(/*announce=*/false);
    if (!redis) break;
    CheckEvictionPolicy(**redis);
    JobQueue queue(**redis, options_.queue);
    if (auto s = queue.EnsureGroup(); !s) {
      connected_ = false;
      WaitOutFault(s.error(), backoff);
      continue;
    }
    connected_ = true;
    LogConnected(lost_at);
    StreamLeases leases = LeasesOn(**redis);
    if (!recovered_pending) {
      // Entries this consumer took before a restart are finished first (a one-shot agent's
      // share of them; the rest go back to the group).
      auto pending = queue.ReadOwnPending(1000);
      if (pending && !pending->empty()) {
        spdlog::info("resuming {} entries left pending by this consumer", pending->size());
        const size_t share = options_.max_jobs > 0 ? options_.max_jobs : pending->size();
        TakeAtMost(std::move(*pending), share, leases);
      }
      recovered_pending = pending.has_value();
    }
    Status round;
    while (stop_requests_ == 0 && (round = ConsumeOnce(queue, leases))) {
      options_.faults->Clear("consumer");
      backoff = Backoff(options_.fault_backoff);
    }
    connected_ = false;
    lost_at = std::chrono::steady_clock::now();
    if (!round) WaitOutFault(round.error(), backoff);
  }
  Drain();
  cancel_view_ = nullptr;
  cancel_listener_.reset();
  return displaced_ ? 2 : 0;
}

}  // namespace raibid
