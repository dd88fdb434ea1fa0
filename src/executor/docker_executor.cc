#include "executor/docker_executor.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "config/size.h"
#include "executor/command_echo.h"
#include "executor/container_meter.h"
#include "executor/docker_service.h"
#include "executor/step_report.h"
#include "util/mutex.h"
#include "util/text.h"

namespace raibid {
namespace {

// The bind that gives a container of the job the hosts file naming its services.
std::string HostsBind(const std::filesystem::path& hosts_file) {
  return hosts_file.string() + ":/etc/hosts:ro";
}

using SteadyClock = std::chrono::steady_clock;

constexpr const char* kWorkspace = "/workspace";
constexpr const char* kCacheHome = "/raibid/cache-home";
constexpr const char* kAuthDir = "/raibid/auth";
constexpr const char* kStepSocket = "/var/run/docker.sock";
constexpr Millis kTick{250};

// PID 1 of a job's container: waits until it is killed, reaping whatever a step orphans.
const std::vector<std::string> kKeepAlive = {
    "/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"};

// Capabilities a build needs (package managers switch users and fix ownership; test servers
// bind low ports); everything else, raw sockets and mknod included, is dropped.
const std::vector<std::string> kBuildCapabilities = {
    "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "NET_BIND_SERVICE"};

// Runs the script with bash when the image has it (like the shell executor, through
// BashEchoProgram, $2), else sh; the script is $1, never spliced into the command text.
constexpr const char* kStepLauncher =
    "if command -v bash >/dev/null 2>&1; then exec bash -e -o pipefail -c \"$2\" bash \"$1\"; "
    "fi; exec /bin/sh -e -c \"$1\"";

std::vector<std::string> StepCommand(const std::string& script) {
  return {"/bin/sh", "-c", kStepLauncher, "raibid-step", script, BashEchoProgram()};
}

// The oom_kill counter of the container's memory cgroup (v2, then v1), read with shell
// built-ins only.
const std::string kOomCount =
    "for f in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; do "
    "[ -r \"$f\" ] || continue; while read -r k v; do [ \"$k\" = oom_kill ] && echo \"$v\" && "
    "exit 0; done < \"$f\"; done; echo 0";

bool IsRoot(const std::string& user) {
  return user.empty() || user == "0" || user == "root" || user.starts_with("0:") ||
         user.starts_with("root:");
}

// Container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*.
std::string ContainerName(const std::string& agent, const std::string& job) {
  std::string name = "raibid-" + agent + "-" + job;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') c = '-';
  }
  return name.substr(0, 200);
}

int64_t Capped(int64_t request, int64_t limit) {
  if (request <= 0) return limit;
  if (limit <= 0) return request;
  return std::min(request, limit);
}

Result<int64_t> ParseMemory(const std::string& text, const char* what) {
  if (text.empty()) return int64_t{0};
  auto size = ParseSize(text);
  if (!size) return Fail(ErrorKind::kConfig, std::string(what) + ": " + size.error().message);
  return static_cast<int64_t>(*size);
}

// Why a pipeline's `volumes` entry ("HOST:CONTAINER[:ro]") is refused, or nullopt: the host path
// must be a normal absolute path inside one of the directories the agent allows.
std::optional<std::string> RefusedVolume(const std::string& volume,
                                         const std::vector<std::string>& allowed) {
  const std::string host = volume.substr(0, volume.find(':'));
  const std::filesystem::path normal = std::filesystem::path(host).lexically_normal();
  if (host.empty() || host[0] != '/' || normal.string() != host ||
      host.find("/../") != std::string::npos) {
    return "volumes: '" + volume + "': the host path must be absolute and normal";
  }
  for (const auto& dir : allowed) {
    const std::string prefix = std::filesystem::path(dir).lexically_normal().string();
    if (host == prefix ||
        (host.starts_with(prefix) && (prefix.ends_with("/") || host[prefix.size()] == '/'))) {
      return std::nullopt;
    }
  }
  return "volumes: '" + volume + "': host mounts are not allowed by this agent" +
         (allowed.empty() ? std::string(" (agent.docker.host_paths is empty)")
                          : " (not under agent.docker.host_paths)");
}

// Why this agent refuses what the job asks of its container; kInvalidPipeline.
Status CheckRequests(const JobEnvironment& job, const DockerOptions& options) {
  if (job.image.empty()) {
    return Fail(ErrorKind::kInvalidPipeline,
                "no image to run the job in: set `image` (or `language`) in the pipeline, or "
                "agent.image in the agent's configuration");
  }
  if (job.network != "none" && !options.allow_network) {
    return Fail(ErrorKind::kInvalidPipeline,
                "network: " + job.network +
                    " is not allowed by this agent "
                    "(agent.docker.allow_network is false); jobs run without a network");
  }
  if (job.privileged && !options.allow_privileged) {
    return Fail(
        ErrorKind::kInvalidPipeline,
        "privileged: true is not allowed by this agent (agent.docker.allow_privileged is false)");
  }
  for (const auto& volume : job.volumes) {
    if (auto refused = RefusedVolume(volume, options.host_paths)) {
      return Fail(ErrorKind::kInvalidPipeline, *refused);
    }
  }
  return {};
}

// Memory and CPUs of a container; 0: no limit.
struct Resources {
  int64_t memory = 0, nano_cpus = 0;
};

// Host directory -> where the container sees it.
using Mounts = std::vector<std::pair<std::string, std::string>>;

// The pipeline's resource requests capped by the agent's `limits`.
Result<Resources> JobResources(const JobEnvironment& job, const Resources& limits) {
  auto memory = ParseMemory(job.memory, "resources.memory");
  if (!memory) return Fail(ErrorKind::kInvalidPipeline, memory.error().message);
  int64_t nano_cpus = 0;
  if (!job.cpu.empty()) {
    auto cpus = ParseNanoCpus(job.cpu);
    if (!cpus) return Fail(ErrorKind::kInvalidPipeline, "resources.cpu: " + cpus.error().message);
    nano_cpus = *cpus;
  }
  return Resources{Capped(*memory, limits.memory), Capped(nano_cpus, limits.nano_cpus)};
}

// The job's directories as the container sees them: the workspace, the cache home (made here,
// so the engine does not make it as root) and the registry login when there is one.
Mounts JobMounts(const JobEnvironment& job) {
  std::error_code ec;
  Mounts mounts = {{job.workspace.string(), kWorkspace}};
  if (!job.cache_home.empty()) {
    std::filesystem::create_directories(job.cache_home, ec);
    mounts.emplace_back(job.cache_home.string(), kCacheHome);
  }
  if (!job.auth_dir.empty() && std::filesystem::exists(job.auth_dir, ec)) {
    mounts.emplace_back(job.auth_dir.string(), kAuthDir);
  }
  return mounts;
}

// "host:container" for the job's directories (the login read-only) and the pipeline's volumes.
std::vector<std::string> Binds(const JobEnvironment& job, const Mounts& mounts) {
  std::vector<std::string> binds;
  for (const auto& [host, inside] : mounts) {
    if (inside != kAuthDir) binds.push_back(host + ":" + inside);
  }
  for (const auto& volume : job.volumes) binds.push_back(volume);
  for (const auto& [host, inside] : mounts) {
    if (inside == kAuthDir) binds.push_back(host + ":" + inside + ":ro");
  }
  return binds;
}

// The engine the steps' own `docker` commands use: its socket mounted, or its address.
void AddStepEngine(const std::string& step_host, ContainerSpec& spec) {
  if (step_host.empty()) return;
  auto step_engine = ParseEngineHost(step_host);  // checked by Create
  if (!step_engine->unix_socket.empty()) {
    spec.binds.push_back(step_engine->unix_socket + ":" + kStepSocket);
    spec.env.push_back(std::string("DOCKER_HOST=unix://") + kStepSocket);
  } else {
    spec.env.push_back("DOCKER_HOST=" + step_host);
  }
}

// The labels of each container of a job: the restart sweep finds them by raibid.agent and
// removes the one holding the namespace (role "network") after the others.
std::map<std::string, std::string> Labels(const DockerOptions& options, const std::string& job_id,
                                          const std::string& role) {
  return {{"raibid.agent", options.agent_name},
          {"raibid.job", job_id},
          {"raibid.managed", "true"},
          {"raibid.role", role}};
}

// The job's container: the agent's capabilities and labels, the job's mounts and resources.
ContainerSpec SpecFor(const DockerOptions& options, const JobEnvironment& job,
                      const std::string& user, const Resources& resources, const Mounts& mounts) {
  ContainerSpec spec{
      .name = ContainerName(options.agent_name, job.job_id),
      .image = job.image,
      .entrypoint = kKeepAlive,
      .cmd = {},
      .working_dir = kWorkspace,
      .user = user,
      .labels = Labels(options, job.job_id, "job"),
      .binds = Binds(job, mounts),
      .tmpfs = {{"/tmp", "rw,nosuid,nodev,mode=1777,size=" + std::to_string(options.tmp_size)}},
      .network_mode = job.network,
      .memory_bytes = resources.memory,
      .nano_cpus = resources.nano_cpus,
      .pids_limit = options.pids_limit,
      .cap_drop = {"ALL"},
      // A privileged container has every capability.
      .cap_add = job.privileged ? std::vector<std::string>{} : kBuildCapabilities,
      .security_opt = {"no-new-privileges"},
      .privileged = job.privileged};
  AddStepEngine(options.step_host, spec);
  return spec;
}

// Creates and starts the container; a leftover of an earlier attempt of the same job here (the
// same name) goes first, and a container that would not start is removed.
Result<std::string> CreateAndStart(EngineClient& client, const ContainerSpec& spec) {
  (void)client.RemoveContainer(spec.name);
  auto id = client.CreateContainer(spec);
  if (!id) return std::unexpected(id.error());
  if (auto started = client.StartContainer(*id); !started) {
    (void)client.RemoveContainer(*id);
    return std::unexpected(started.error());
  }
  return id;
}

// "container 0123456789ab from IMAGE (network none, memory 64 MiB, 0.5 CPUs, user 1000)".
std::string ReadyLine(const std::string& id, const std::string& image, const ContainerSpec& spec,
                      const std::string& network) {
  std::string limits = "network " + network;
  if (spec.memory_bytes > 0) limits += ", memory " + FormatBytes(spec.memory_bytes);
  if (spec.nano_cpus > 0) {
    char cpus[32];
    std::snprintf(cpus, sizeof cpus, ", %.2g CPUs", spec.nano_cpus / 1e9);
    limits += cpus;
  }
  if (!IsRoot(spec.user)) limits += ", user " + spec.user;
  return "container " + id.substr(0, 12) + " from " + image + " (" + limits + ")";
}

// A container the job's steps run in: the job's own (index 0 of a session's list), or one per
// image steps ask for, sharing its mounts and network namespace.
struct StepContainer {
  std::string id, image, user;
};

}  // namespace

// One job's containers. Steps may run at the same time (a pipeline's independent steps): each
// step talks to the engine over a connection of its own (an EngineClient is one connection and
// not thread-safe); the session's own client serves its start and its end. Begin fills in the
// containers and services before any step runs; they do not change after.
class DockerSession final : public JobSession {
 public:
  using Connect = std::function<std::unique_ptr<EngineClient>()>;
  DockerSession(std::unique_ptr<EngineClient> client, Connect connect, Mounts mounts,
                int64_t memory, bool give_back, LogSink& sink)
      : client_(std::move(client)),
        connect_(std::move(connect)),
        mounts_(std::move(mounts)),
        memory_(memory),
        give_back_(give_back),
        sink_(sink),
        meter_(std::make_unique<ContainerMeter>(connect_)) {}

  // Services go first, then the step containers, the job's, and last the one holding the
  // network namespace (the engine refuses to remove a container others joined).
  ~DockerSession() override {
    meter_.reset();  // its readings stop before the containers go
    const auto t0 = SteadyClock::now();
    if (give_back_ && !containers_.empty() && Alive(containers_.front().id)) {
      // Files a step made as root (or as the image's user) go back to the agent's user, so the
      // agent can save the cache and delete the workspace.
      (void)Chown(*client_, std::to_string(getuid()) + ":" + std::to_string(getgid()),
                  {kWorkspace, kCacheHome});
    }
    services_.clear();
    for (auto it = containers_.rbegin(); it != containers_.rend(); ++it) Remove(it->id);
    if (!network_holder_.empty()) Remove(network_holder_);
    if (!hosts_file_.empty()) {
      std::error_code ec;
      std::filesystem::remove(hosts_file_, ec);
    }
    if (!containers_.empty()) {
      WriteSys(sink_, "",
               "container " + containers_.front().id.substr(0, 12) + " removed in " +
                   FormatSeconds(SteadyClock::now() - t0));
    }
  }

  // What Begin adds, in order: the namespace holder and hosts file, the job's container, the
  // step images' containers, the services.
  void SetNetworkHolder(std::string id, std::filesystem::path hosts_file) {
    network_holder_ = std::move(id);
    hosts_file_ = std::move(hosts_file);
  }
  void AddContainer(StepContainer container) { containers_.push_back(std::move(container)); }
  void AddService(std::unique_ptr<DockerService> service) {
    services_.push_back(std::move(service));
  }
  const std::string& network_holder() const { return network_holder_; }
  const std::filesystem::path& hosts_file() const { return hosts_file_; }

  StepOutcome RunStep(const StepSpec& step, LogSink& sink, JobDeadline& deadline,
                      const StopSource& stop) override {
    const auto start = SteadyClock::now();
    WriteSys(sink, step.name, StepStartLine(step));
    // A service's end fails the steps it happens beside, and the first step after it; steps
    // after that (those that run for a failed job) run without it.
    const bool watch_services = !ServiceReported();
    if (auto failed = watch_services ? ReportServiceFailure() : std::nullopt) {
      return Report(sink, step, {StepResult::kError, -1, *failed, ErrorKind::kService});
    }
    const StepContainer* container = ContainerFor(step);
    if (!container) {
      return Report(sink, step,
                    {StepResult::kError, -1,
                     "step '" + step.name + "': no container for image " + step.image});
    }
    const std::unique_ptr<EngineClient> client = connect_();
    if (Status up = StartAgain(*client, container->id, step, sink); !up) {
      return Report(sink, step,
                    {StepResult::kError, -1,
                     "step '" + step.name + "' could not start: " + up.error().message});
    }
    auto id = client->CreateExec(container->id, StepExec(step, container->user));
    if (!id) {
      return Report(sink, step,
                    {StepResult::kError, -1,
                     "step '" + step.name + "' could not start: " + id.error().message});
    }
    StepClock clock(step, deadline, stop, sink, start);
    std::optional<StepEnding> ending;
    std::optional<std::string> service_failed;
    CommandEcho echo(sink, step.script);
    const int metered = meter_->Begin(container->id);
    auto streamed = client->StartExec(
        *id,
        [&](MuxStream s, std::string_view bytes) {
          echo.Write(step.name, s == MuxStream::kStderr ? LogFd::kErr : LogFd::kOut, bytes);
        },
        [&] {
          if (!ending) ending = clock.Check();
          if (!ending && !service_failed && watch_services) service_failed = ServiceFailure();
          return !ending && !service_failed;
        });
    echo.Flush();
    const ContainerMeter::Used used = meter_->End(metered);
    StepOutcome outcome = EndOfExec(*client, *container, *id, step, sink, deadline, stop, start,
                                    ending, service_failed, streamed, echo.LastLine());
    outcome.cpu_seconds = used.cpu_seconds;
    outcome.peak_memory_bytes = used.peak_memory_bytes;
    return outcome;
  }

  // What ended the step's exec (a timeout, a stop or the disk budget; a service's end; the
  // engine's failure; the step's own exit) decides its outcome.
  StepOutcome EndOfExec(EngineClient& client, const StepContainer& container, const std::string& id,
                        const StepSpec& step, LogSink& sink, const JobDeadline& deadline,
                        const StopSource& stop, SteadyTime start, std::optional<StepEnding> ending,
                        const std::optional<std::string>& service_failed, const Status& streamed,
                        const std::string& where) {
    if (ending) return Ended(client, container.id, *ending, step, sink, deadline, stop, start);
    if (service_failed) return ServiceEnded(client, container.id, step, sink);
    if (!streamed) {
      return Report(
          sink, step,
          {StepResult::kError, -1, "step '" + step.name + "': " + streamed.error().message});
    }
    StepOutcome outcome = Exited(client, container, id, step, sink, deadline, stop, start, where);
    if (auto failed = !ServiceReported() ? ReportServiceFailure() : std::nullopt) {
      return Report(sink, step, {StepResult::kError, -1, *failed, ErrorKind::kService});
    }
    return outcome;
  }

  // `chown -R -- OWNER DIRS...` as root in the job's container, given as argv: the owner may
  // come from the image, and no shell ever reads it. Fails only when the engine cannot run the
  // command; a path chown cannot change is left as it is.
  Status Chown(EngineClient& client, const std::string& owner,
               const std::vector<std::string>& dirs) {
    std::vector<std::string> cmd = {"chown", "-R", "--", owner};
    cmd.insert(cmd.end(), dirs.begin(), dirs.end());
    auto ran = RunQuietly(client, containers_.front().id, std::move(cmd), "0");
    if (!ran) return std::unexpected(ran.error());
    return {};
  }
  Status Chown(const std::string& owner, const std::vector<std::string>& dirs) {
    return Chown(*client_, owner, dirs);
  }

  // Runs a helper command (argv) in `container` and waits for it; what it prints on stdout,
  // up to 4 KiB.
  Result<std::string> RunQuietly(EngineClient& client, const std::string& container,
                                 std::vector<std::string> cmd, const std::string& user) {
    auto id = client.CreateExec(container, {.cmd = std::move(cmd), .user = user});
    if (!id) return std::unexpected(id.error());
    std::string out;
    auto s = client.StartExec(*id, [&](MuxStream st, std::string_view b) {
      if (st == MuxStream::kStdout && out.size() < 4096) out.append(b);
    });
    if (!s) return std::unexpected(s.error());
    return out;
  }

 private:
  void Remove(const std::string& id) {
    if (auto removed = client_->RemoveContainer(id); !removed) {
      WriteSys(sink_, "", "warning: " + removed.error().message);
    }
  }

  bool Alive(const std::string& id) {
    MutexLock lock(&mu_);
    return !stopped_.contains(id);
  }

  // The job's container for a step without an image of its own (or with the job's).
  const StepContainer* ContainerFor(const StepSpec& step) const {
    if (step.image.empty()) return &containers_.front();
    for (const auto& c : containers_) {
      if (c.image == step.image) return &c;
    }
    return nullptr;
  }

  // The first service that ended, in words; nullopt while all run.
  std::optional<std::string> ServiceFailure() {
    for (const auto& service : services_) {
      if (auto failed = service->Failure()) return failed;
    }
    return std::nullopt;
  }
  bool ServiceReported() {
    MutexLock lock(&mu_);
    return service_reported_;
  }
  // A service's end that no step has reported yet, now reported.
  std::optional<std::string> ReportServiceFailure() {
    auto failed = ServiceFailure();
    if (!failed) return std::nullopt;
    MutexLock lock(&mu_);
    if (service_reported_) return std::nullopt;
    service_reported_ = true;
    return failed;
  }

  // A container a timeout, a cancel or the OOM killer stopped is started again for the steps
  // that still run (those for a failed job): its workspace and caches are mounts, kept, and its
  // network namespace belongs to another container.
  Status StartAgain(EngineClient& client, const std::string& container, const StepSpec& step,
                    LogSink& sink) {
    MutexLock lock(&mu_);
    if (!stopped_.contains(container)) return {};
    if (Status s = client.StartContainer(container); !s) return s;
    stopped_.erase(container);
    WriteSys(sink, step.name,
             container == containers_.front().id
                 ? "the job's container was stopped; started it again"
                 : "the container of image " + step.image + " was stopped; started it again");
    return {};
  }

  StepOutcome Report(LogSink& sink, const StepSpec& step, StepOutcome outcome) {
    WriteSys(sink, step.name, outcome.message);
    sink.Flush();
    return outcome;
  }

  // The step's command, in the directory it names, with host paths in its environment mapped.
  ExecSpec StepExec(const StepSpec& step, const std::string& user) const {
    ExecSpec exec{.cmd = StepCommand(step.script),
                  .working_dir = MapPath(step.workdir.string()),
                  .user = user};
    for (const auto& [k, v] : step.env) exec.env.push_back(k + "=" + MapPath(v));
    return exec;
  }

  void Kill(EngineClient& client, const std::string& container) {
    MutexLock lock(&mu_);
    (void)client.KillContainer(container);
    stopped_.insert(container);
  }

  // A timeout or a stop: the container goes, with everything the step started (and what other
  // steps running beside it started: they end too).
  StepOutcome Ended(EngineClient& client, const std::string& container, StepEnding ending,
                    const StepSpec& step, LogSink& sink, const JobDeadline& deadline,
                    const StopSource& stop, SteadyTime start) {
    Kill(client, container);
    const StepOutcome outcome = MakeOutcome(ending, step, deadline, stop, -1);
    WriteSys(sink, step.name, StepEndLine(ending, step, outcome, SteadyClock::now() - start));
    sink.Flush();
    return outcome;
  }

  // A service ended while the step ran: the step ends the way a timeout ends it.
  StepOutcome ServiceEnded(EngineClient& client, const std::string& container, const StepSpec& step,
                           LogSink& sink) {
    Kill(client, container);
    {
      MutexLock lock(&mu_);
      service_reported_ = true;
    }
    return Report(sink, step,
                  {StepResult::kError, -1, ServiceFailure().value_or("a service ended"),
                   ErrorKind::kService});
  }

  // The step's process exited by itself (or by the OOM killer): its exit code decides.
  // `where`: the line that ran last (CommandEcho::LastLine).
  StepOutcome Exited(EngineClient& client, const StepContainer& container, const std::string& id,
                     const StepSpec& step, LogSink& sink, const JobDeadline& deadline,
                     const StopSource& stop, SteadyTime start, const std::string& where) {
    auto code = ExitCode(client, id);
    if (!code) {
      return Report(sink, step,
                    {StepResult::kError, -1, "step '" + step.name + "': " + code.error().message});
    }
    StepOutcome outcome = MakeOutcome(StepEnding::kExited, step, deadline, stop, *code, where);
    if (*code == 137 && OutOfMemory(client, container.id)) {
      outcome.message = "step '" + step.name +
                        "' was killed: out of memory (the job's memory limit is " +
                        FormatBytes(memory_) + ")";
      WriteSys(sink, step.name, outcome.message);
    }
    WriteSys(sink, step.name,
             StepEndLine(StepEnding::kExited, step, outcome, SteadyClock::now() - start, where));
    sink.Flush();
    return outcome;
  }

  // The exec's exit code; an engine may report the stream's end a moment before the exit.
  Result<int> ExitCode(EngineClient& client, const std::string& id) {
    for (int i = 0; i < 50; ++i) {
      auto state = client.InspectExec(id);
      if (!state) return std::unexpected(state.error());
      if (const std::optional<int>& code = state->exit_code) return *code;
      std::this_thread::sleep_for(Millis(20));
    }
    return Fail(ErrorKind::kInfrastructure, "the engine never reported the step's exit code");
  }

  // After an exit by SIGKILL that the agent did not send: was it the kernel's OOM killer? It may
  // have killed the container's PID 1 as well (the container stopped), or only the step (the
  // memory cgroup's oom_kill counter says so).
  bool OutOfMemory(EngineClient& client, const std::string& container) {
    if (memory_ <= 0) return false;
    auto stopped = [&] {
      auto state = client.InspectContainer(container);
      if (!state || !state->has_value()) return false;
      if ((*state)->running && !(*state)->oom_killed) return false;
      if (!(*state)->running) {
        MutexLock lock(&mu_);
        stopped_.insert(container);
      }
      return true;
    };
    if (stopped()) return true;
    auto count = RunQuietly(client, container, {"/bin/sh", "-c", kOomCount}, "0");
    if (!count) return stopped();
    // The counter's digits, after any blanks.
    std::string_view text(*count);
    text.remove_prefix(std::min(text.find_first_not_of(" \t\n"), text.size()));
    int64_t kills = 0;
    const auto parsed = std::from_chars(text.data(), text.data() + text.size(), kills);
    return parsed.ec == std::errc() && kills > 0;
  }

  // Host paths of the job's directories, as the container sees them.
  std::string MapPath(const std::string& value) const {
    for (const auto& [host, inside] : mounts_) {
      if (value == host) return inside;
      if (value.size() > host.size() && value.starts_with(host) && value[host.size()] == '/') {
        return inside + value.substr(host.size());
      }
    }
    return value;
  }

  std::unique_ptr<EngineClient> client_;  // the session's start and end, one thread
  const Connect connect_;                 // a connection for each step
  const Mounts mounts_;
  const int64_t memory_;
  const bool give_back_;
  LogSink& sink_;
  std::string network_holder_;  // empty: the job's container has the namespace
  std::filesystem::path hosts_file_;
  std::vector<StepContainer> containers_;
  std::vector<std::unique_ptr<DockerService>> services_;
  Mutex mu_;
  std::set<std::string> stopped_ GUARDED_BY(mu_);  // killed, until started again
  bool service_reported_ GUARDED_BY(mu_) = false;
  std::unique_ptr<ContainerMeter> meter_;  // what each step used
};

Result<int64_t> ParseNanoCpus(std::string_view text) {
  double cpus = 0;
  std::string s(text);
  char* end = nullptr;
  if (!s.empty() && s.back() == 'm') {
    const std::string number = s.substr(0, s.size() - 1);  // strtod's `end` points into it
    cpus = std::strtod(number.c_str(), &end) / 1000;
    if (end == nullptr || *end != '\0') cpus = -1;
  } else {
    cpus = std::strtod(s.c_str(), &end);
    if (s.empty() || end == nullptr || *end != '\0') cpus = -1;
  }
  if (!(cpus > 0) || !std::isfinite(cpus)) {
    return Fail(ErrorKind::kConfig, "expected CPUs like 2, 0.5 or 500m, got '" + s + "'");
  }
  return static_cast<int64_t>(std::llround(cpus * 1e9));
}

Result<std::unique_ptr<DockerExecutor>> DockerExecutor::Create(DockerOptions options) {
  auto endpoint = ParseEngineHost(options.host);
  if (!endpoint) return std::unexpected(endpoint.error());
  if (!options.step_host.empty()) {
    if (auto step = ParseEngineHost(options.step_host); !step) {
      return Fail(ErrorKind::kConfig, "docker.step_host: " + step.error().message);
    }
  }
  auto memory = ParseMemory(options.limit_memory, "resources.limits.memory");
  if (!memory) return std::unexpected(memory.error());
  int64_t nano = 0;
  if (!options.limit_cpu.empty()) {
    auto cpus = ParseNanoCpus(options.limit_cpu);
    if (!cpus) return Fail(ErrorKind::kConfig, "resources.limits.cpu: " + cpus.error().message);
    nano = *cpus;
  }
  return std::unique_ptr<DockerExecutor>(
      new DockerExecutor(std::move(options), std::move(*endpoint), *memory, nano));
}

Status DockerExecutor::Ready() { return Connect()->Ping(); }

Result<int> DockerExecutor::RemoveLeftovers() {
  EngineClient client(endpoint_);
  return RemoveLabelled(client, "raibid.agent", options_.agent_name);
}

// The engine refuses to remove a container others joined, so the namespace holders go last.
Result<int> DockerExecutor::RemoveLabelled(EngineClient& client, const std::string& key,
                                           const std::string& value) {
  auto left = client.ListContainers(key, value);
  if (!left) return std::unexpected(left.error());
  std::stable_partition(left->begin(), left->end(), [](const ContainerState& c) {
    auto role = c.labels.find("raibid.role");
    return role == c.labels.end() || role->second != "network";
  });
  int removed = 0;
  for (const auto& c : *left) {
    if (c.labels.contains("raibid.agent") && c.labels.at("raibid.agent") != options_.agent_name) {
      continue;
    }
    if (auto s = client.RemoveContainer(c.id); !s) return std::unexpected(s.error());
    ++removed;
  }
  return removed;
}

Status DockerExecutor::EnsureImage(const std::string& image,
                                   const std::function<void(const std::string&)>& progress) {
  auto client = Connect();
  auto info = EnsureImage(*client, image, progress);
  if (!info) return std::unexpected(info.error());
  return {};
}

std::unique_ptr<EngineClient> DockerExecutor::Connect() {
  auto client = std::make_unique<EngineClient>(endpoint_, options_.http_response_bytes);
  MutexLock lock(&mu_);
  if (!api_version_.empty()) client->set_api_version(api_version_);
  return client;
}

std::string DockerExecutor::EngineName(EngineClient& client) {
  {
    MutexLock lock(&mu_);
    if (!engine_name_.empty()) return engine_name_;
  }
  auto v = client.Version();
  if (!v) return "the engine at " + endpoint_.host;
  MutexLock lock(&mu_);
  engine_name_ = (v->name.empty() ? "engine" : v->name) + " " + v->version;
  api_version_ = client.api_version();
  return engine_name_;
}

Result<ImageInfo> DockerExecutor::EnsureImage(
    EngineClient& client, const std::string& image,
    const std::function<void(const std::string&)>& progress) {
  if (options_.pull_policy != PullPolicy::kAlways) {
    auto present = client.InspectImage(image);
    if (!present) return std::unexpected(present.error());
    if (std::optional<ImageInfo>& found = *present) return std::move(*found);
    if (options_.pull_policy == PullPolicy::kNever) {
      return Fail(ErrorKind::kInfrastructure, "image " + image +
                                                  " is not present on the engine and "
                                                  "docker.pull_policy is never");
    }
  }
  std::string auth;
  if (options_.login && ImageRegistryHost(image) == options_.login->server) {
    auth = RegistryAuthHeader(options_.login->username, options_.login->password,
                              options_.login->server);
  }
  if (auto pulled = client.PullImage(image, auth, progress); !pulled)
    return std::unexpected(pulled.error());
  auto info = client.InspectImage(image);
  if (!info) return std::unexpected(info.error());
  std::optional<ImageInfo>& pulled_info = *info;
  if (!pulled_info) {
    return Fail(ErrorKind::kInfrastructure, "image " + image + " is missing after its pull");
  }
  return std::move(*pulled_info);
}

Result<std::unique_ptr<JobSession>> DockerExecutor::Begin(const JobEnvironment& job, LogSink& sink,
                                                          const StopSource& stop) {
  const auto t0 = SteadyClock::now();
  if (Status allowed = CheckRequests(job, options_); !allowed) {
    return std::unexpected(allowed.error());
  }
  auto resources = JobResources(job, {memory_limit_, nano_cpus_limit_});
  if (!resources) return std::unexpected(resources.error());
  auto client = Connect();  // an engine that is down fails the first call, retryable
  const std::string engine = EngineName(*client);
  auto image = PullForJob(*client, job.image, sink, stop);
  if (!image) return std::unexpected(image.error());
  const std::string user = !options_.user.empty() ? options_.user : image->user;
  const Mounts mounts = JobMounts(job);
  ContainerSpec spec = SpecFor(options_, job, user, *resources, mounts);
  // From here the session's destructor removes every container it was given, on every path.
  auto session = std::make_unique<DockerSession>(
      Connect(), [this] { return Connect(); }, mounts, spec.memory_bytes, getuid() != 0, sink);
  if (!job.services.empty() || !job.step_images.empty()) {
    if (Status shared = ShareNetwork(*client, job, spec, *session); !shared) {
      return std::unexpected(shared.error());
    }
  }
  auto id = CreateAndStart(*client, spec);
  if (!id) return std::unexpected(id.error());
  session->AddContainer({*id, job.image, user});
  if (!IsRoot(user)) {
    // The step's user must own what it builds in: the workspace and cache home the agent made.
    std::vector<std::string> dirs = {kWorkspace};
    if (!job.cache_home.empty()) dirs.push_back(kCacheHome);
    if (auto given = session->Chown(user, dirs); !given) return std::unexpected(given.error());
  }
  for (size_t i = 0; i < job.step_images.size(); ++i) {
    if (job.step_images[i] == job.image) continue;
    if (Status made = AddStepImage(*client, job, spec, i, *session, sink, stop); !made) {
      return std::unexpected(made.error());
    }
  }
  if (Status started = StartServices(job, spec, *session, sink, stop); !started) {
    return std::unexpected(started.error());
  }
  WriteSys(sink, "",
           ReadyLine(*id, job.image, spec, job.network) + " ready in " +
               FormatSeconds(SteadyClock::now() - t0) + " on " + engine);
  return session;
}

// A container that holds the job's network namespace (the pipeline's `network`) for the job's
// container, the step images' and the services, which all join it: a timeout that kills the
// job's container leaves the services reachable. Joined containers cannot take the engine's
// host entries, so each gets the same /etc/hosts, written here: the services' names resolve to
// 127.0.0.1.
Status DockerExecutor::ShareNetwork(EngineClient& client, const JobEnvironment& job,
                                    ContainerSpec& spec, DockerSession& session) {
  // An earlier attempt's containers of this job, joined ones first.
  if (auto removed = RemoveLabelled(client, "raibid.job", job.job_id); !removed) {
    return std::unexpected(removed.error());
  }
  const std::filesystem::path hosts = job.workspace.string() + ".hosts";
  std::string text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (const auto& service : job.services) text += "127.0.0.1\t" + service.name + "\n";
  {
    std::ofstream out(hosts, std::ios::trunc);
    out << text;
    if (!out.flush()) {
      return Fail(ErrorKind::kInfrastructure, "cannot write " + hosts.string(), false);
    }
  }
  ContainerSpec holder{.name = ContainerName(options_.agent_name, job.job_id + "-net"),
                       .image = job.image,
                       .entrypoint = kKeepAlive,
                       .labels = Labels(options_, job.job_id, "network"),
                       .network_mode = job.network,
                       .pids_limit = 16,
                       .cap_drop = {"ALL"},
                       .security_opt = {"no-new-privileges"}};
  auto id = CreateAndStart(client, holder);
  if (!id) return std::unexpected(id.error());
  session.SetNetworkHolder(*id, hosts);
  spec.network_mode = "container:" + *id;
  spec.binds.push_back(HostsBind(hosts));
  return {};
}

// The container of the job's `index`th step image: the job's container's mounts, environment,
// namespace and limits, the image's user (or the agent's forced one).
Status DockerExecutor::AddStepImage(EngineClient& client, const JobEnvironment& job,
                                    const ContainerSpec& job_spec, size_t index,
                                    DockerSession& session, LogSink& sink, const StopSource& stop) {
  const std::string& image = job.step_images[index];
  auto info = PullForJob(client, image, sink, stop);
  if (!info) {
    return Fail(info.error().kind, "step image " + image + ": " + info.error().message,
                info.error().retryable);
  }
  ContainerSpec spec = job_spec;
  spec.name = ContainerName(options_.agent_name, job.job_id + "-img-" + std::to_string(index));
  spec.image = image;
  spec.user = !options_.user.empty() ? options_.user : info->user;
  spec.labels = Labels(options_, job.job_id, "step");
  auto id = CreateAndStart(client, spec);
  if (!id) return std::unexpected(id.error());
  session.AddContainer({*id, image, spec.user});
  return {};
}

// Starts the job's services at the same time and waits until each is ready; the first failure.
Status DockerExecutor::StartServices(const JobEnvironment& job, const ContainerSpec& job_spec,
                                     DockerSession& session, LogSink& sink,
                                     const StopSource& stop) {
  std::vector<DockerService*> services;
  for (const auto& spec : job.services) {
    DockerService::Connect connect = [this] { return Connect(); };
    auto service = std::make_unique<DockerService>(spec, std::move(connect), sink);
    services.push_back(service.get());
    session.AddService(std::move(service));
  }
  std::vector<Status> results(services.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < services.size(); ++i) {
    threads.emplace_back(
        [&, i] { results[i] = StartService(*services[i], job, job_spec, session, sink, stop); });
  }
  for (auto& t : threads) t.join();
  for (auto& result : results) {
    if (!result) return result;
  }
  return {};
}

// One service: its image by the pull policy, a container in the job's namespace with the job's
// labels and limits (each service gets the job's memory and CPU limits of its own) and the
// build-safe capabilities, but none of the job's mounts.
Status DockerExecutor::StartService(DockerService& service, const JobEnvironment& job,
                                    const ContainerSpec& job_spec, const DockerSession& session,
                                    LogSink& sink, const StopSource& stop) {
  const ServiceSpec& s = service.spec();
  const std::string& holder = session.network_holder();
  auto client = Connect();
  auto info = PullForJob(*client, s.image, sink, stop);
  if (!info) {
    return Fail(info.error().kind, "service '" + s.name + "': " + info.error().message,
                info.error().retryable);
  }
  ContainerSpec spec{.name = ContainerName(options_.agent_name, job.job_id + "-svc-" + s.name),
                     .image = s.image,
                     .cmd = s.command,
                     .labels = Labels(options_, job.job_id, "service"),
                     .binds = {HostsBind(session.hosts_file())},
                     .network_mode = "container:" + holder,
                     .memory_bytes = job_spec.memory_bytes,
                     .nano_cpus = job_spec.nano_cpus,
                     .pids_limit = job_spec.pids_limit,
                     .cap_drop = {"ALL"},
                     .cap_add = kBuildCapabilities,
                     .security_opt = {"no-new-privileges"}};
  for (const auto& [k, v] : s.env) spec.env.push_back(k + "=" + v);
  spec.labels["raibid.service"] = s.name;
  if (Status started = service.Start(spec); !started) return started;
  return service.WaitReady(holder, stop);
}

Result<ImageInfo> DockerExecutor::PullForJob(EngineClient& client, const std::string& image,
                                             LogSink& sink, const StopSource& stop) {
  client.set_stop(&stop);  // a long pull ends with the job
  bool pulled = false;
  auto info = EnsureImage(client, image, [&](const std::string& line) {
    if (!pulled) WriteSys(sink, "", "pulling image " + image);
    pulled = true;
    if (line.find("Pulling fs layer") == std::string::npos) WriteSys(sink, "", "  " + line);
  });
  client.set_stop(nullptr);
  return info;
}

}  // namespace raibid
