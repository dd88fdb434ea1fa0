#include "cli/daemon.h"

#include <fmt/ranges.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "agent/agent.h"
#include "agent/disk_survey.h"
#include "agent/wiring.h"
#include "cli/reaper_path.h"
#include "config/duration.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "util/log_context.h"
#include "util/mutex.h"

namespace raibid::cli {
namespace {

// Blocks the stop signals in every thread; a dedicated thread takes them with sigtimedwait. Made
// first thing, so a signal is never left waiting behind a start-up that does not end.
class SignalWatcher {
 public:
  SignalWatcher() {
    sigset_t set = StopSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread starts: every one inherits it
    thread_ = std::thread([this] { Loop(); });
  }
  ~SignalWatcher() {
    done_ = true;
    thread_.join();
  }
  // From here on a stop signal asks `agent` to stop. Before, it ends the process at once: nothing
  // runs yet that needs finishing, and start-up may be stuck (an engine that never answers).
  void Attach(Agent& agent) {
    MutexLock lock(&mu_);
    agent_ = &agent;
  }
  // The agent has stopped and is about to go: a signal ends the process at once again.
  void Detach() {
    MutexLock lock(&mu_);
    agent_ = nullptr;
    phase_ = "while stopping";
  }

 private:
  static sigset_t StopSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
  }
  void Loop() {
    sigset_t set = StopSignals();
    timespec tick{0, 200'000'000};
    while (!done_) {
      int sig = sigtimedwait(&set, nullptr, &tick);
      if (sig <= 0) continue;
      const char* what = sigdescr_np(sig);  // strsignal's text, without its static buffer
      MutexLock lock(&mu_);
      if (agent_ == nullptr) DieOf(sig, what, phase_);
      spdlog::info("received {}; {}", what != nullptr ? what : "a signal",
                   ++count_ == 1 ? "finishing running jobs, taking no new ones"
                                 : "interrupting running jobs");
      agent_->RequestStop();
    }
  }
  // Ends the process as the signal's default action would, so its parent sees it killed by it.
  [[noreturn]] static void DieOf(int sig, const char* what, const char* phase) {
    spdlog::warn("received {} {}; exiting", what != nullptr ? what : "a signal", phase);
    spdlog::default_logger()->flush();
    std::signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, nullptr);
    raise(sig);
    std::_Exit(128 + sig);
  }
  Mutex mu_;
  Agent* agent_ GUARDED_BY(mu_) = nullptr;
  const char* phase_ GUARDED_BY(mu_) = "while starting";
  std::atomic<bool> done_{false};
  int count_ = 0;
  std::thread thread_;
};

}  // namespace

// /healthz turns 503 when the consumer loop has not gone round for this long.
constexpr std::chrono::seconds kStallAfter{60};

int RunDaemon(Settings settings, const DaemonFlags& flags, const std::filesystem::path& self) {
  if (flags.concurrency > 0) settings.concurrency = flags.concurrency;
  if (!flags.consumer_name.empty()) settings.redis.consumer = flags.consumer_name;
  if (!flags.work_dir.empty()) settings.work_dir = flags.work_dir;
  if (!flags.cache_dir.empty()) settings.cache_path = flags.cache_dir;
  if (flags.max_jobs > 0) settings.max_jobs = flags.max_jobs;
  if (!flags.exit_after_idle.empty()) {
    auto idle = ParseDuration(flags.exit_after_idle);
    if (!idle) {
      spdlog::error("--exit-after-idle: {}", idle.error().message);
      return 2;
    }
    settings.exit_after_idle = *idle;
  }
  SignalWatcher watcher;
  std::atomic<Agent*> agent_view{nullptr};  // what the HTTP threads read, once the agent exists
  std::atomic<bool> started{false};
  std::atomic<const DiskGuard*> guard_view{nullptr};  // the same, for the disk-low gauge
  DiskSurvey disks({{"work", settings.work_dir}, {"cache", settings.cache_path}}, Clock::Real());
  Metrics metrics({.busy_slots =
                       [&] {
                         Agent* a = agent_view;
                         return a ? a->busy_slots() : 0;
                       },
                   .slots = [&] { return settings.concurrency; },
                   .draining =
                       [&] {
                         Agent* a = agent_view;
                         return a && a->state() == AgentState::kDraining;
                       },
                   .connected =
                       [&] {
                         Agent* a = agent_view;
                         return a && a->connected();
                       },
                   .eviction_policy = [&]() -> std::optional<std::string> {
                     Agent* a = agent_view;
                     return a ? a->eviction_policy() : std::nullopt;
                   },
                   .disks = [&] { return disks.Read(); },
                   .cache_limit_bytes = settings.cache_enabled ? settings.cache_size_bytes : 0,
                   .disk_low =
                       [&] {
                         const DiskGuard* g = guard_view;
                         return g && g->low();
                       }});
  auto wired = WireAgent(settings, {.reaper = FindReaper(self),
                                    .version = RAIBID_VERSION,
                                    .observer = &metrics,
                                    .take_over = flags.take_over});
  if (!wired) {
    spdlog::error("{}", wired.error().message);
    return 2;
  }
  WiredAgent& w = **wired;
  guard_view = &w.disk_guard();
  MaskAgentLog(w.masker());  // the secrets read above never reach the agent's log
  HttpServer http({.alive =
                       [&] {
                         Agent* a = agent_view;
                         return a && a->LoopAlive(kStallAfter);
                       },
                   .not_ready = [&] { return w.readiness().NotReady(); },
                   .started = [&] { return started.load() && w.images_ready(); },
                   .metrics = [&] { return metrics.Render(); }});
  if (auto s = http.Start(settings.http_listen); !s) {
    spdlog::error("{}", s.error().message);
    return 2;
  }
  w.PrepareEngine();
  Agent& agent = w.agent();
  agent_view = &agent;
  started = true;
  spdlog::info("health and metrics on {}", http.url());
  spdlog::info(
      "raibid-agent {} starting: consumer {} in group {} on {} ({}), {} slot(s), "
      "work dir {}, cache {}",
      RAIBID_VERSION, settings.redis.consumer, settings.redis.group,
      fmt::join(settings.redis.streams, ", "), Describe(w.redis()), settings.concurrency,
      settings.work_dir.string(), settings.cache_path.string());
  watcher.Attach(agent);
  int rc = agent.Run();
  watcher.Detach();
  spdlog::info("raibid-agent stopped");
  return rc;
}

}  // namespace raibid::cli
