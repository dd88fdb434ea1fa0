#include "executor/docker_executor.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <thread>

#include "config/size.h"
#include "executor/step_report.h"

namespace raibid {
namespace {

using Clock = std::chrono::steady_clock;

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

// Runs the script with bash when the image has it (like the shell executor), else sh; the script
// is $1, never spliced into the command text.
constexpr const char* kStepLauncher =
    "if command -v bash >/dev/null 2>&1; then exec bash -e -o pipefail -c \"$1\"; fi; "
    "exec /bin/sh -e -c \"$1\"";

std::vector<std::string> StepCommand(const std::string& script) {
  return {"/bin/sh", "-c", kStepLauncher, "raibid-step", script};
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

std::string Mib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f MiB", bytes / 1048576.0);
  return buf;
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

class DockerSession final : public JobSession {
 public:
  DockerSession(std::unique_ptr<EngineClient> client, std::string container,
                std::vector<std::pair<std::string, std::string>> mounts, std::string user,
                int64_t memory, bool give_back, LogSink& sink)
      : client_(std::move(client)),
        container_(std::move(container)),
        mounts_(std::move(mounts)),
        user_(std::move(user)),
        memory_(memory),
        give_back_(give_back),
        sink_(sink) {}

  ~DockerSession() override {
    const auto t0 = Clock::now();
    if (give_back_ && alive_) {
      // Files a step made as root (or as the image's user) go back to the agent's user, so the
      // agent can save the cache and delete the workspace.
      (void)RunQuietly("chown -R " + std::to_string(getuid()) + ":" + std::to_string(getgid()) +
                           " " + kWorkspace + " " + kCacheHome + " 2>/dev/null || true",
                       "0");
    }
    auto removed = client_->RemoveContainer(container_);
    WriteSys(sink_, "",
             removed ? "container " + container_.substr(0, 12) + " removed in " +
                           FormatSeconds(Clock::now() - t0)
                     : "warning: " + removed.error().message);
  }

  StepOutcome RunStep(const StepSpec& step, LogSink& sink, JobDeadline& deadline,
                      const StopSource& stop) override {
    const auto start = Clock::now();
    WriteSys(sink, step.name, StepStartLine(step));
    if (!alive_) {
      return Report(sink, step,
                    {StepResult::kError, -1,
                     "step '" + step.name + "' could not start: the job's container is gone"});
    }
    ExecSpec exec{.cmd = StepCommand(step.script),
                  .working_dir = MapPath(step.workdir.string()),
                  .user = user_};
    for (const auto& [k, v] : step.env) exec.env.push_back(k + "=" + MapPath(v));
    auto id = client_->CreateExec(container_, exec);
    if (!id) {
      return Report(sink, step,
                    {StepResult::kError, -1,
                     "step '" + step.name + "' could not start: " + id.error().message});
    }
    StepClock clock(step, deadline, stop, sink, start);
    std::optional<StepEnding> ending;
    auto streamed = client_->StartExec(
        *id,
        [&](MuxStream s, std::string_view bytes) {
          sink.Write(step.name, s == MuxStream::kStderr ? LogFd::kErr : LogFd::kOut, bytes);
        },
        [&] {
          if (!ending) ending = clock.Check();
          return !ending;
        });
    if (ending) {
      // A timeout or a stop: the container goes, with everything the step started.
      (void)client_->KillContainer(container_);
      alive_ = false;
      const StepOutcome outcome = MakeOutcome(*ending, step, deadline, stop, -1);
      WriteSys(sink, step.name, StepEndLine(*ending, step, outcome, Clock::now() - start));
      sink.Flush();
      return outcome;
    }
    if (!streamed) {
      return Report(
          sink, step,
          {StepResult::kError, -1, "step '" + step.name + "': " + streamed.error().message});
    }
    auto code = ExitCode(*id);
    if (!code) {
      return Report(sink, step,
                    {StepResult::kError, -1, "step '" + step.name + "': " + code.error().message});
    }
    StepOutcome outcome = MakeOutcome(StepEnding::kExited, step, deadline, stop, *code);
    if (*code == 137 && OutOfMemory()) {
      outcome.message = "step '" + step.name +
                        "' was killed: out of memory (the job's memory limit is " + Mib(memory_) +
                        ")";
      WriteSys(sink, step.name, outcome.message);
    }
    WriteSys(sink, step.name,
             StepEndLine(StepEnding::kExited, step, outcome, Clock::now() - start));
    sink.Flush();
    return outcome;
  }

  // Runs a helper command in the container and waits for it; its output is dropped.
  Result<std::string> RunQuietly(const std::string& script, const std::string& user) {
    auto id = client_->CreateExec(container_, {.cmd = {"/bin/sh", "-c", script}, .user = user});
    if (!id) return std::unexpected(id.error());
    std::string out;
    auto s = client_->StartExec(*id, [&](MuxStream st, std::string_view b) {
      if (st == MuxStream::kStdout && out.size() < 4096) out.append(b);
    });
    if (!s) return std::unexpected(s.error());
    return out;
  }

 private:
  StepOutcome Report(LogSink& sink, const StepSpec& step, StepOutcome outcome) {
    WriteSys(sink, step.name, outcome.message);
    sink.Flush();
    return outcome;
  }

  // The exec's exit code; an engine may report the stream's end a moment before the exit.
  Result<int> ExitCode(const std::string& id) {
    for (int i = 0; i < 50; ++i) {
      auto state = client_->InspectExec(id);
      if (!state) return std::unexpected(state.error());
      if (const std::optional<int>& code = state->exit_code) return *code;
      std::this_thread::sleep_for(Millis(20));
    }
    return Fail(ErrorKind::kInfrastructure, "the engine never reported the step's exit code");
  }

  // After an exit by SIGKILL that the agent did not send: was it the kernel's OOM killer? It may
  // have killed the container's PID 1 as well (the container stopped), or only the step (the
  // memory cgroup's oom_kill counter says so).
  bool OutOfMemory() {
    if (memory_ <= 0) return false;
    auto stopped = [&] {
      auto state = client_->InspectContainer(container_);
      if (!state || !state->has_value()) return false;
      if ((*state)->running && !(*state)->oom_killed) return false;
      alive_ = !(*state)->running ? false : alive_;
      return true;
    };
    if (stopped()) return true;
    auto count = RunQuietly(kOomCount, "0");
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

  std::unique_ptr<EngineClient> client_;
  const std::string container_;
  const std::vector<std::pair<std::string, std::string>> mounts_;  // host dir -> container dir
  const std::string user_;
  const int64_t memory_;
  const bool give_back_;
  LogSink& sink_;
  bool alive_ = true;
};

}  // namespace

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
  auto left = client.ListContainers("raibid.agent", options_.agent_name);
  if (!left) return std::unexpected(left.error());
  int removed = 0;
  for (const auto& c : *left) {
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
  if (options_.pull_policy != "always") {
    auto present = client.InspectImage(image);
    if (!present) return std::unexpected(present.error());
    if (std::optional<ImageInfo>& found = *present) return std::move(*found);
    if (options_.pull_policy == "never") {
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
  const auto t0 = Clock::now();
  if (job.image.empty()) {
    return Fail(ErrorKind::kInvalidPipeline,
                "no image to run the job in: set `image` (or `language`) in the pipeline, or "
                "agent.image in the agent's configuration");
  }
  if (job.network != "none" && !options_.allow_network) {
    return Fail(ErrorKind::kInvalidPipeline,
                "network: " + job.network +
                    " is not allowed by this agent "
                    "(agent.docker.allow_network is false); jobs run without a network");
  }
  if (job.privileged && !options_.allow_privileged) {
    return Fail(
        ErrorKind::kInvalidPipeline,
        "privileged: true is not allowed by this agent (agent.docker.allow_privileged is false)");
  }
  for (const auto& volume : job.volumes) {
    if (auto refused = RefusedVolume(volume, options_.host_paths)) {
      return Fail(ErrorKind::kInvalidPipeline, *refused);
    }
  }
  auto memory = ParseMemory(job.memory, "resources.memory");
  if (!memory) return Fail(ErrorKind::kInvalidPipeline, memory.error().message);
  int64_t nano = 0;
  if (!job.cpu.empty()) {
    auto cpus = ParseNanoCpus(job.cpu);
    if (!cpus) return Fail(ErrorKind::kInvalidPipeline, "resources.cpu: " + cpus.error().message);
    nano = *cpus;
  }
  auto client = Connect();  // an engine that is down fails the first call, retryable
  const std::string engine = EngineName(*client);

  client->set_stop(&stop);  // a long pull ends with the job
  bool pulled = false;
  auto info = EnsureImage(*client, job.image, [&](const std::string& line) {
    if (!pulled) WriteSys(sink, "", "pulling image " + job.image);
    pulled = true;
    if (line.find("Pulling fs layer") == std::string::npos) WriteSys(sink, "", "  " + line);
  });
  client->set_stop(nullptr);
  if (!info) return std::unexpected(info.error());
  const std::string user = !options_.user.empty() ? options_.user : info->user;

  std::error_code ec;
  std::vector<std::pair<std::string, std::string>> mounts = {{job.workspace.string(), kWorkspace}};
  if (!job.cache_home.empty()) {
    std::filesystem::create_directories(job.cache_home, ec);
    mounts.emplace_back(job.cache_home.string(), kCacheHome);
  }
  ContainerSpec spec{
      .name = ContainerName(options_.agent_name, job.job_id),
      .image = job.image,
      .entrypoint = kKeepAlive,
      .cmd = {},
      .working_dir = kWorkspace,
      .user = user,
      .labels = {{"raibid.agent", options_.agent_name},
                 {"raibid.job", job.job_id},
                 {"raibid.managed", "true"}},
      .tmpfs = {{"/tmp", "rw,nosuid,nodev,mode=1777,size=" + std::to_string(options_.tmp_size)}},
      .network_mode = job.network,
      .memory_bytes = Capped(*memory, memory_limit_),
      .nano_cpus = Capped(nano, nano_cpus_limit_),
      .pids_limit = options_.pids_limit,
      .cap_drop = {"ALL"},
      .cap_add = kBuildCapabilities,
      .security_opt = {"no-new-privileges"}};
  for (const auto& [host, inside] : mounts) {
    spec.binds.emplace_back(host).append(":").append(inside);
  }
  for (const auto& volume : job.volumes) spec.binds.push_back(volume);
  spec.privileged = job.privileged;
  if (job.privileged) spec.cap_add.clear();  // a privileged container has every capability
  if (!job.auth_dir.empty() && std::filesystem::exists(job.auth_dir, ec)) {
    spec.binds.push_back(job.auth_dir.string() + ":" + kAuthDir + ":ro");
    mounts.emplace_back(job.auth_dir.string(), kAuthDir);
  }
  if (!options_.step_host.empty()) {
    auto step_engine = ParseEngineHost(options_.step_host);
    if (!step_engine->unix_socket.empty()) {
      spec.binds.push_back(step_engine->unix_socket + ":" + kStepSocket);
      spec.env.push_back(std::string("DOCKER_HOST=unix://") + kStepSocket);
    } else {
      spec.env.push_back("DOCKER_HOST=" + options_.step_host);
    }
  }
  // A container of this name is a leftover of an earlier attempt of the same job here.
  (void)client->RemoveContainer(spec.name);
  auto id = client->CreateContainer(spec);
  if (!id) return std::unexpected(id.error());
  if (auto started = client->StartContainer(*id); !started) {
    (void)client->RemoveContainer(*id);
    return std::unexpected(started.error());
  }
  // From here the session's destructor removes the container on every path.
  auto session = std::make_unique<DockerSession>(std::move(client), *id, mounts, user,
                                                 spec.memory_bytes, getuid() != 0, sink);
  if (!IsRoot(user)) {
    // The step's user must own what it builds in: the workspace and cache home the agent made.
    auto chowned = session->RunQuietly(std::string("chown -R ") + user + " " + kWorkspace + " " +
                                           (job.cache_home.empty() ? "" : kCacheHome),
                                       "0");
    if (!chowned) return std::unexpected(chowned.error());
  }
  std::string limits = "network " + job.network;
  if (spec.memory_bytes > 0) limits += ", memory " + Mib(spec.memory_bytes);
  if (spec.nano_cpus > 0) {
    char cpus[32];
    std::snprintf(cpus, sizeof cpus, ", %.2g CPUs", spec.nano_cpus / 1e9);
    limits += cpus;
  }
  WriteSys(sink, "",
           "container " + id->substr(0, 12) + " from " + job.image + " (" + limits +
               (IsRoot(user) ? "" : ", user " + user) + ") ready in " +
               FormatSeconds(Clock::now() - t0) + " on " + engine);
  return session;
}

}  // namespace raibid
