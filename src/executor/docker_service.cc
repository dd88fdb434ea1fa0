#include "executor/docker_service.h"

#include <chrono>
#include <cstdio>

#include "executor/step_report.h"
#include "util/text.h"

namespace raibid {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr size_t kTailBytes = 4096;
constexpr int kTailLines = 10;
constexpr std::chrono::milliseconds kPoll{100};
constexpr std::chrono::seconds kDrain{2};

// Whether a TCP port listens in the job's network namespace, asked from inside it without any
// tool of the job's or the service's image: a shell (which the job's keep-alive needs anyway)
// reads /proc/net/tcp and tcp6 with its built-ins, which list the sockets of the namespace the
// reader is in, and exits 0 once a socket on the port ($1, four hex digits) is in state 0A
// (LISTEN): from then on the kernel completes connections to it. One exec polls every 10 ms
// (the agent's own connection to the engine would need ~70 ms per exec), so a port is seen open
// a few milliseconds after it is; a TCP connect from the agent is impossible (the namespace may
// have no network at all), and a static probe binary would have to be copied into each job.
constexpr const char* kPortProbe =
    "while :; do for f in /proc/net/tcp /proc/net/tcp6; do [ -r \"$f\" ] || continue; "
    "while read -r sl addr rem st rest; do case \"$addr\" in *:\"$1\") [ \"$st\" = 0A ] && exit "
    "0;; esac; done < \"$f\"; done; sleep 0.01; done";

// The exit code of a finished exec; an engine may report the stream's end a moment early.
Result<int> ExecExit(EngineClient& client, const std::string& id) {
  for (int i = 0; i < 50; ++i) {
    auto state = client.InspectExec(id);
    if (!state) return std::unexpected(state.error());
    if (state->exit_code) return *state->exit_code;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Fail(ErrorKind::kInfrastructure, "the engine never reported a probe's exit code");
}

// Runs `cmd` in `container` to its end (or until `keep_going` says no: nullopt); its exit code.
Result<std::optional<int>> RunProbe(EngineClient& client, const std::string& container,
                                    std::vector<std::string> cmd,
                                    const std::function<bool()>& keep_going) {
  auto id = client.CreateExec(container, {.cmd = std::move(cmd), .user = "0"});
  if (!id) return std::unexpected(id.error());
  const auto discard = [](MuxStream, std::string_view) {};
  auto ran = client.StartExec(*id, discard, keep_going);
  if (!ran && ran.error().kind == ErrorKind::kCancelled) return std::optional<int>{};
  if (!ran) return std::unexpected(ran.error());
  auto code = ExecExit(client, *id);
  if (!code) return std::unexpected(code.error());
  return std::optional<int>{*code};
}

}  // namespace

DockerService::DockerService(ServiceSpec spec, Connect connect, LogSink& sink)
    : spec_(std::move(spec)), connect_(std::move(connect)), sink_(sink) {}

DockerService::~DockerService() {
  {
    MutexLock lock(&mu_);
    closing_ = true;
  }
  if (id_.empty()) return;
  // Killed first, so its output stream ends by itself once the engine has delivered all of it;
  // a stream that does not end soon is cut by the removal.
  auto client = connect_();
  (void)client->KillContainer(id_);
  {
    MutexLock lock(&mu_);
    done_.WaitFor(&mu_, kDrain, [&]() REQUIRES(mu_) { return watched_; });
  }
  if (auto removed = client->RemoveContainer(id_); !removed) {
    WriteSys(sink_, "", "warning: service '" + spec_.name + "': " + removed.error().message);
  }
  if (watcher_.joinable()) watcher_.join();
}

Status DockerService::Start(const ContainerSpec& container) {
  auto client = connect_();
  (void)client->RemoveContainer(container.name);  // a leftover of an earlier attempt
  auto id = client->CreateContainer(container);
  if (!id) return Fail(id.error().kind, "service '" + spec_.name + "': " + id.error().message);
  id_ = *id;
  if (auto started = client->StartContainer(id_); !started) {
    return Fail(ErrorKind::kService,
                "service '" + spec_.name + "' did not start: " + started.error().message);
  }
  watcher_ = std::thread([this] { Watch(); });
  return {};
}

bool DockerService::Closing() {
  MutexLock lock(&mu_);
  return closing_;
}

void DockerService::Output(MuxStream stream, std::string_view bytes) {
  sink_.Write("service:" + spec_.name, stream == MuxStream::kStderr ? LogFd::kErr : LogFd::kOut,
              bytes);
  MutexLock lock(&mu_);
  tail_.append(bytes);
  if (tail_.size() > 2 * kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
}

// Follows the output until the container stops; then, unless the job is ending, records how it
// ended. A stream that breaks while the container runs on is replaced by polling its state.
void DockerService::Watch() {
  auto client = connect_();
  (void)client->StreamLogs(id_, [this](MuxStream s, std::string_view b) { Output(s, b); });
  sink_.Flush();
  while (!Closing()) {
    auto state = client->InspectContainer(id_);
    if (state && (!*state || !(*state)->running)) {
      MutexLock lock(&mu_);
      stopped_ = true;
      exit_code_ = *state ? (*state)->exit_code : -1;
      break;
    }
    std::this_thread::sleep_for(kPoll);
  }
  MutexLock lock(&mu_);
  watched_ = true;
  done_.NotifyAll();
}

std::string DockerService::LastLines() {
  std::string tail;
  {
    MutexLock lock(&mu_);
    tail = tail_;
  }
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  if (tail.empty()) return "; it printed nothing";
  size_t start = tail.size();
  for (int lines = 0; lines < kTailLines && start != std::string::npos && start > 0; ++lines) {
    start = tail.rfind('\n', start - 1);
  }
  tail = start == std::string::npos ? tail : tail.substr(start + 1);
  if (tail.empty()) return "; it printed nothing";
  std::string out = "; its last lines:";
  size_t pos = 0;
  while (pos <= tail.size()) {
    const size_t nl = std::min(tail.find('\n', pos), tail.size());
    out += "\n  " + tail.substr(pos, nl - pos);
    pos = nl + 1;
  }
  return out;
}

std::string DockerService::Exited(int exit_code, const std::string& when) {
  return "service '" + spec_.name + "' exited with code " + std::to_string(exit_code) + " " + when +
         LastLines();
}

std::optional<std::string> DockerService::Failure() {
  int code = 0;
  {
    MutexLock lock(&mu_);
    if (!stopped_) return std::nullopt;
    code = exit_code_;
  }
  return Exited(code, "before the job's steps ended");
}

Result<bool> DockerService::PortListening(EngineClient& client, const std::string& prober,
                                          const std::function<bool()>& keep_going) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "%04X", *spec_.ready_port);
  auto code =
      RunProbe(client, prober, {"/bin/sh", "-c", kPortProbe, "raibid-probe", hex}, keep_going);
  if (!code) return std::unexpected(code.error());
  return *code == 0;
}

Result<bool> DockerService::CommandSucceeds(EngineClient& client,
                                            const std::function<bool()>& keep_going) {
  while (keep_going()) {
    auto code = RunProbe(client, id_, {"/bin/sh", "-c", spec_.ready_command}, keep_going);
    if (!code) return std::unexpected(code.error());
    if (*code == 0) return true;
    std::this_thread::sleep_for(kPoll);
  }
  return false;
}

Status DockerService::WaitReady(const std::string& prober, const StopSource& stop) {
  const auto t0 = SteadyClock::now();
  const auto deadline = t0 + std::chrono::seconds(spec_.ready_timeout_seconds);
  auto keep_going = [&] {
    return !stop.stop_requested() && SteadyClock::now() < deadline && !Failure();
  };
  auto client = connect_();
  Result<bool> ready = true;
  if (spec_.ready_port) {
    ready = PortListening(*client, prober, keep_going);
  } else if (!spec_.ready_command.empty()) {
    ready = CommandSucceeds(*client, keep_going);
  }
  if (!ready) {
    return Fail(ready.error().kind, "service '" + spec_.name + "': " + ready.error().message);
  }
  if (stop.stop_requested()) return Fail(ErrorKind::kCancelled, "stopped");
  {
    MutexLock lock(&mu_);
    if (stopped_) {
      const int code = exit_code_;
      lock.Unlock();
      return Fail(ErrorKind::kService, Exited(code, "before it was ready"));
    }
  }
  if (*ready) {
    WriteSys(sink_, "",
             "service " + spec_.name + " ready in " + FormatSeconds(SteadyClock::now() - t0));
    return {};
  }
  const std::string rule = spec_.ready_port
                               ? "port " + std::to_string(*spec_.ready_port) + " never listened"
                               : "its ready command never exited 0";
  return Fail(ErrorKind::kService, "service '" + spec_.name + "' was not ready within " +
                                       std::to_string(spec_.ready_timeout_seconds) + "s (" + rule +
                                       ")" + LastLines());
}

}  // namespace raibid
