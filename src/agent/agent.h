// The daemon: a consumer loop that reads jobs from the group (on one stream or several, one per
// platform queue) only while a slot is free, and `concurrency` slots that run them. Each thread has
// its own Redis connection. RequestStop (from the signal thread) stops reading; running jobs get
// `shutdown_grace` to finish, after which they are interrupted and left pending for another agent.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/cancel_listener.h"
#include "agent/heartbeat.h"
#include "queue/job_queue.h"
#include "queue/lease.h"
#include "redis/fault_board.h"
#include "runner/job_runner.h"
#include "util/mutex.h"

namespace raibid {

struct AgentOptions {
  RedisEndpoint redis;
  QueueNames queue;
  int concurrency = 1;
  std::chrono::seconds shutdown_grace{600};
  std::chrono::milliseconds block{1000};  // XREADGROUP BLOCK; bounds how long a stop waits
  // A running job's pending entry is renewed every lease/3; an entry idle for a whole lease is
  // taken over by another agent.
  std::chrono::milliseconds lease{60000};
  std::string version = "dev";
  std::chrono::seconds trim_interval{30};  // stream housekeeping
  // Idle upkeep (caches, mirrors, stale workspaces) once the agent has had no job this long;
  // 0 turns it off.
  std::chrono::seconds maintain_after_idle{300};
  std::function<void()> maintain;  // what the upkeep does (wired in cli/daemon.cc)
  // Where the agent's threads post the Redis faults they meet (shared with the runner's status
  // writes, agent/wiring.cc); /readyz names them while they last.
  std::shared_ptr<RedisFaultBoard> faults = std::make_shared<RedisFaultBoard>();
  // The consumer's wait after Redis refuses it (a key of the wrong type, an ACL): 1, 2, 4, 8,
  // 16 s, jittered, never giving up.
  BackoffPolicy fault_backoff{.initial = Millis(1000), .max_retries = -1, .cap = Millis(16000)};
  // Start even while another live instance holds the consumer name (`run --take-over`); that
  // one stops taking jobs when it sees its heartbeat replaced.
  bool take_over = false;
  // After a job was handed back for a fault of this agent's (RunResult kHandedBack), asked every
  // housekeeping tick whether the fault has cleared (an error saying what is still wrong). Unset:
  // the fault clears after one lease.
  std::function<Status()> local_probe;
  // One-shot agents (`run --once`, --max-jobs): after taking this many entries the agent takes
  // none, and once they have ended it stops as after a first stop request (Run returns 0).
  // 0: no limit.
  int max_jobs = 0;
  // Stop the same way once no job has run and none was taken for this long; 0: never.
  std::chrono::milliseconds exit_after_idle{0};
  // Asked before each look for jobs (new or abandoned): nothing to go on, else why this agent
  // takes none now (agent/disk_guard.h: too little free disk); asked again after `block`. The
  // holder says why in the log and /readyz.
  std::function<std::optional<std::string>()> hold_jobs;
};

// The daemon's phase; whether it is idle or busy comes from its slots (see HeartbeatFields).
enum class AgentState { kStarting, kRunning, kDraining, kStopped };

class Agent {
 public:
  Agent(AgentOptions options, JobRunner& runner);
  ~Agent();

  // Runs until RequestStop; returns the process exit code (0 after a clean drain; 2 when another
  // live instance holds the consumer name, or took it over while this one ran).
  // Also returns 0 once AgentOptions::max_jobs entries have ended, or after exit_after_idle idle.
  int Run();
  // Thread-safe. The first call drains; a second one interrupts running jobs at once.
  void RequestStop();

  AgentState state() const { return state_.load(); }
  // The consumer loop went round within `max_age` (it ticks at least every `block`, also while
  // all slots are busy or Redis is away): false means it is stuck.
  bool LoopAlive(std::chrono::milliseconds max_age) const;
  // Consumer connected with its group registered, no Redis fault standing, not draining, and
  // no LocalFault.
  bool Ready() const;
  // The Redis faults the agent meets now, described for an operator ("redis: WRONGTYPE on
  // ci-jobs: the key is a string, not a stream"); nullopt when Redis takes every command.
  std::optional<std::string> redis_fault() const { return options_.faults->Current(); }
  // Redis' maxmemory-policy as read at start; nullopt until read, or when CONFIG is refused.
  std::optional<std::string> eviction_policy() const;
  // Thread-safe. Why this agent cannot run jobs, once one was handed back for a fault of its own
  // (its directories, disk or engine; docs/reliability.md, Local faults); nullopt when it can.
  // While set the agent takes no jobs; it clears when AgentOptions::local_probe passes.
  std::optional<std::string> LocalFault() const;
  int busy_slots();
  bool connected() const { return connected_.load(); }
  // True once cancel requests are being listened for.
  bool listening_for_cancels() const {
    const CancelListener* listener = cancel_view_.load();
    return listener && listener->subscribed();
  }

 private:
  struct Slot;
  // A Leases for each stream consumed, by stream.
  using StreamLeases = std::map<std::string, Leases>;
  void SlotLoop(Slot& slot);
  RunResult RunEntry(Slot& slot, Redis& redis, const StreamEntry& entry);
  // A job handed back for a fault of this agent's: the fault is set and the entry released.
  void HandBack(Redis& redis, const StreamEntry& entry, const std::string& fault);
  bool ClaimName();
  // Housekeeping thread (agent/housekeeping.cc): leases, heartbeat, trimming.
  void HousekeepingLoop();
  void RenewLeases(StreamLeases& leases);
  void Beat(Redis& redis);
  Heartbeat::Fields HeartbeatFields();
  void RecheckLocalFault();
  void MaintainIfIdle();
  StreamLeases LeasesOn(Redis& redis) const;  // on `redis`
  Result<std::vector<StreamEntry>> ClaimAbandoned(StreamLeases& leases, int free_slots);
  Status ConsumeOnce(JobQueue& queue, StreamLeases& leases);
  // Why the agent should stop now that a slot is free (max_jobs ended, idle too long), or
  // nullopt; `free_slots`: how many it may take otherwise.
  std::optional<std::string> OneShotEnd(int* free_slots) REQUIRES(mu_);
  // Dispatches the first `limit` entries and hands the rest back unrun (a read of several
  // streams returns up to its count from each), so any agent's next claim takes them.
  void TakeAtMost(std::vector<StreamEntry> entries, size_t limit, StreamLeases& leases);
  // Connects, waiting out failures with a backoff (each logged); `announce`: log the recovery.
  Result<std::unique_ptr<Redis>> ConnectWithRetry(bool announce = true);
  // "connected to redis ..." the first time, "reconnected ... after Ns" after a loss.
  void LogConnected(const std::optional<std::chrono::steady_clock::time_point>& lost_at);
  // Logs `error` once, posts it as the consumer's fault and waits the backoff's next delay.
  void WaitOutFault(const Error& error, Backoff& backoff);
  // Sleeps `delay` in short pieces, ticking, until a stop is requested.
  void SleepAlive(Millis delay);
  // Reads maxmemory-policy once and warns when Redis may evict jobs.
  void CheckEvictionPolicy(Redis& redis);
  void Dispatch(std::vector<StreamEntry> entries);
  void Drain();

  const AgentOptions options_;
  JobRunner& runner_;
  const Heartbeat heartbeat_;  // ci:agent:<consumer>, this process's instance
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unique_ptr<CancelListener> cancel_listener_;
  std::atomic<const CancelListener*> cancel_view_{nullptr};  // for other threads' questions

  Mutex mu_;
  CondVar work_cv_;  // slots: an entry is waiting, or stopping
  CondVar free_cv_;  // consumer: a slot became free, or stopping
  std::deque<StreamEntry> inbox_ GUARDED_BY(mu_);
  int busy_ GUARDED_BY(mu_) = 0;   // slots holding an entry
  int taken_ GUARDED_BY(mu_) = 0;  // entries dispatched since start (max_jobs)
  // The last dispatch or end of a job, or the start (exit_after_idle).
  std::chrono::steady_clock::time_point last_active_ GUARDED_BY(mu_) =
      std::chrono::steady_clock::now();
  bool slots_stop_ GUARDED_BY(mu_) = false;

  std::atomic<int> stop_requests_{0};
  std::atomic<AgentState> state_{AgentState::kStarting};
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> jobs_finished_{0};
  std::atomic<int64_t> last_tick_ns_{0};  // steady clock, consumer loop
  mutable Mutex policy_mu_;
  std::optional<std::string> eviction_policy_ GUARDED_BY(policy_mu_);
  bool policy_checked_ = false;  // consumer thread only
  void Tick();

  // (stream, entry id) -> its job's stop
  std::map<std::pair<std::string, std::string>, StopSource*> running_ GUARDED_BY(mu_);
  CondVar housekeeping_cv_;  // wakes the housekeeper to stop
  bool housekeeping_stop_ GUARDED_BY(mu_) = false;
  std::thread housekeeper_;
  std::chrono::steady_clock::time_point last_claim_{};  // consumer thread only
  const std::string started_at_;
  std::chrono::steady_clock::time_point last_busy_ =
      std::chrono::steady_clock::now();                     // housekeeper
  bool maintained_since_busy_ = false;                      // housekeeper
  Backoff heartbeat_backoff_{options_.fault_backoff};       // housekeeper
  std::chrono::steady_clock::time_point heartbeat_next_{};  // housekeeper
  uint64_t jobs_seen_ = 0;  // housekeeper: jobs_finished_ at its last look
  std::thread maintainer_;  // the idle upkeep, when one runs
  std::atomic<bool> maintaining_{false};
  std::atomic<bool> displaced_{false};  // another instance took the consumer name over

  mutable Mutex fault_mu_;
  std::optional<std::string> local_fault_ GUARDED_BY(fault_mu_);
  std::chrono::steady_clock::time_point fault_since_ GUARDED_BY(fault_mu_);
};

}  // namespace raibid
