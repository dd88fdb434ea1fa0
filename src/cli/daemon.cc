#include "cli/daemon.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/agent.h"
#include "executor/docker_executor.h"
#include "executor/shell_executor.h"
#include "http/http_url.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "source/source_cache.h"
#include "util/log_context.h"

namespace raibid::cli {
namespace {

Result<std::string> ReadSecretFile(const std::filesystem::path& path, const char* what) {
  std::ifstream in(path);
  if (!in) return Fail(ErrorKind::kConfig, std::string(what) + ": cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// Blocks the stop signals in every thread; a dedicated thread takes them with sigtimedwait.
class SignalWatcher {
 public:
  explicit SignalWatcher(Agent& agent) : agent_(agent) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~SignalWatcher() {
    done_ = true;
    thread_.join();
  }
  static void BlockStopSignals() {
    sigset_t set = StopSignals();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
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
      spdlog::info("received {}; {}", what != nullptr ? what : "a signal",
                   ++count_ == 1 ? "finishing running jobs, taking no new ones"
                                 : "interrupting running jobs");
      agent_.RequestStop();
    }
  }
  Agent& agent_;
  std::atomic<bool> done_{false};
  int count_ = 0;
  std::thread thread_;
};

}  // namespace

// The idle upkeep: mirrors packed, workspaces of jobs no longer running removed, the cache
// trimmed to its size.
void Maintain(const Settings& settings, SourceCache& source, CacheStore* cache, JobRunner& runner,
              DockerExecutor* docker) {
  const auto t0 = std::chrono::steady_clock::now();
  auto mirrors = source.Maintain();
  const auto running = runner.cancels().Running();
  int stale = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(settings.work_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with(".home")) name.resize(name.size() - 5);
    if (std::find(running.begin(), running.end(), name) != running.end()) continue;
    // A job starting right now has a fresh workspace: only old ones are left over.
    const auto age = std::filesystem::file_time_type::clock::now() - entry.last_write_time(ec);
    if (ec || age < std::chrono::minutes(10)) continue;
    std::filesystem::remove_all(entry.path(), ec);
    ++stale;
  }
  uint64_t freed = 0;
  if (cache) freed = cache->Evict().value_or(0);
  if (docker) {
    if (auto pruned = docker->PruneImages(); !pruned) {
      spdlog::warn("idle upkeep: {}", pruned.error().message);
    } else if (pruned->images > 0) {
      spdlog::info("idle upkeep: {} dangling image(s) pruned, {} bytes", pruned->images,
                   pruned->bytes);
    }
  }
  spdlog::info(
      "idle upkeep: {} mirror(s) packed, {} stale workspace(s) removed, {} bytes of cache evicted "
      "in {} ms",
      mirrors.value_or(0), stale, freed,
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count());
}

// "a, b" -> {"a", "b"}: the comma-separated lists of the configuration.
std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

Result<std::unique_ptr<DockerExecutor>> MakeDockerExecutor(
    const Settings& settings, const std::optional<RegistryLogin>& login) {
  return DockerExecutor::Create({.host = settings.docker_host,
                                 .agent_name = settings.redis.consumer,
                                 .pull_policy = settings.docker.pull_policy,
                                 .login = login,
                                 .allow_network = settings.docker.allow_network,
                                 .pids_limit = settings.docker.pids_limit,
                                 .tmp_size = settings.docker.tmp_size,
                                 .user = settings.docker.user,
                                 .allow_privileged = settings.docker.allow_privileged,
                                 .host_paths = SplitList(settings.docker.host_paths),
                                 .step_host = settings.docker.step_host,
                                 .limit_cpu = settings.limits.cpu,
                                 .limit_memory = settings.limits.memory,
                                 .http_response_bytes = settings.input_limits.http_response_bytes});
}

// Before the first job: the containers a crashed predecessor of this name left go.
void RemoveLeftovers(DockerExecutor& docker, const Settings& settings) {
  if (auto left = docker.RemoveLeftovers(); !left) {
    spdlog::warn("container engine: {}", left.error().message);
  } else if (*left > 0) {
    spdlog::info("removed {} container(s) an earlier run of {} left", *left,
                 settings.redis.consumer);
  }
}

// In the background at start-up: the configured images (agent.image and docker.preload_images)
// are pulled before /startupz says started.
void PreloadImages(DockerExecutor& docker, const Settings& settings) {
  std::vector<std::string> images;
  if (!settings.image.empty()) images.push_back(settings.image);
  for (auto& image : SplitList(settings.docker.preload_images)) images.push_back(std::move(image));
  for (const auto& image : images) {
    const auto t0 = std::chrono::steady_clock::now();
    if (auto s = docker.EnsureImage(image); !s) {
      spdlog::warn("preloading image {}: {}", image, s.error().message);
    } else {
      spdlog::info("image {} ready ({} ms)", image,
                   std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - t0)
                       .count());
    }
  }
}

// /healthz turns 503 when the consumer loop has not gone round for this long.
constexpr std::chrono::seconds kStallAfter{60};

int RunDaemon(Settings settings, const DaemonFlags& flags, const std::filesystem::path& self) {
  if (flags.concurrency > 0) settings.concurrency = flags.concurrency;
  if (!flags.consumer_name.empty()) settings.redis.consumer = flags.consumer_name;
  if (!flags.work_dir.empty()) settings.work_dir = flags.work_dir;
  if (!flags.cache_dir.empty()) settings.cache_path = flags.cache_dir;
  auto endpoint = ParseRedisUrl(settings.redis.url);
  if (!endpoint) {
    spdlog::error("{}", endpoint.error().message);
    return 2;
  }
  RunnerOptions runner_options{
      .agent_name = settings.redis.consumer,
      .agent_version = RAIBID_VERSION,
      .work_dir = settings.work_dir,
      .git_base_url = settings.git_base_url,
      .default_timeout_minutes = settings.default_timeout_minutes,
      .max_timeout_minutes = settings.max_timeout_minutes,
      .timeout_extension_percent = settings.timeout_extension_percent,
      .report = {.status_maxlen = settings.status_stream_maxlen,
                 .retention = std::chrono::hours(24) * settings.retention_days,
                 .log_limit_bytes = settings.log_limit_bytes},
      .max_deliveries = settings.max_deliveries,
      .retry = {.initial = Millis(static_cast<int64_t>(settings.retry_initial_seconds * 1000)),
                .max_retries = settings.retry_max_retries,
                .jitter = std::min(settings.retry_jitter_percent, 100.0) / 100.0},
      .default_image = settings.image,
      .language_image = settings.docker.language_image,
      .limits = settings.input_limits};
  std::optional<GitCredentials> credentials;
  if (!settings.git_token_file.empty()) {
    auto token = ReadSecretFile(settings.git_token_file, "git.token_file");
    if (!token) {
      spdlog::error("{}", token.error().message);
      return 2;
    }
    runner_options.masker.Add(*token);
    // The token goes only to the configured git server, never to a URL a job names elsewhere.
    credentials = GitCredentials{.username = settings.git_username,
                                 .token_file = settings.git_token_file,
                                 .url_prefix = settings.git_base_url};
  }
  if (!endpoint->password.empty()) runner_options.masker.Add(endpoint->password);
  std::optional<RegistryLogin> docker_login;
  if (!settings.registry_url.empty()) {
    RegistryConfig registry{.url = settings.registry_url,
                            .username = settings.registry_username,
                            .insecure = settings.registry_insecure,
                            .ca_file = settings.registry_ca_file.string(),
                            .chunk_size = settings.registry_chunk_size};
    runner_options.artifact_reference = settings.registry_reference;
    runner_options.image_tag = settings.registry_image_tag;
    if (!settings.registry_password_file.empty()) {
      auto password = ReadSecretFile(settings.registry_password_file, "registry.password_file");
      if (!password) {
        spdlog::error("{}", password.error().message);
        return 2;
      }
      registry.password = *password;
      runner_options.masker.Add(*password);
    }
    docker_login =
        RegistryLogin{.server = ParseHttpUrl(settings.registry_url).value_or(HttpUrl{}).authority,
                      .username = registry.username,
                      .password = registry.password};
    runner_options.registry = registry;
    runner_options.cache_remote = settings.cache_remote;
  }

  for (const auto& [name, file] : settings.secret_files) {
    auto value = ReadSecretFile(file, ("secrets." + name).c_str());
    if (!value) {
      spdlog::error("{}", value.error().message);
      return 2;
    }
    runner_options.masker.Add(*value);
    runner_options.secret_env[name] = std::move(*value);
  }
  MaskAgentLog(runner_options.masker);  // the secrets read above never reach the agent's log
  SignalWatcher::BlockStopSignals();
  std::unique_ptr<DockerExecutor> docker;  // with `executor: docker`
  std::atomic<bool> images_ready{true};    // the start-up pulls are done
  std::unique_ptr<Agent> agent_holder;
  std::atomic<Agent*> agent_view{nullptr};  // what the HTTP threads read, once the agent exists
  std::atomic<bool> started{false};
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
                       }});
  HttpServer http({.alive =
                       [&] {
                         Agent* a = agent_view;
                         return a && a->LoopAlive(kStallAfter);
                       },
                   .ready =
                       [&] {
                         Agent* a = agent_view;
                         return a && a->Ready() && (!docker || docker->Ready());
                       },
                   .started = [&] { return started.load() && images_ready.load(); },
                   .metrics = [&] { return metrics.Render(); }});
  if (auto s = http.Start(settings.http_listen); !s) {
    spdlog::error("{}", s.error().message);
    return 2;
  }
  SourceCache source(settings.cache_path / "git", credentials);
  std::unique_ptr<CacheStore> cache;
  if (settings.cache_enabled) {
    cache = std::make_unique<CacheStore>(
        settings.cache_path / "deps", settings.cache_size_bytes,
        std::vector<std::filesystem::path>{settings.cache_path / "git"},
        std::max(1u, std::thread::hardware_concurrency()));
    runner_options.cache = cache.get();
  }
  // The small static reaper beside the binary when it is installed, else the agent's own mode.
  const auto reaper = self.parent_path() / "raibid-agent-reaper";
  ShellExecutor shell(access(reaper.c_str(), X_OK) == 0 ? reaper : self);
  std::jthread preload;
  if (settings.executor == ExecutorKind::kDocker) {
    auto made = MakeDockerExecutor(settings, docker_login);
    if (!made) {
      spdlog::error("{}", made.error().message);
      return 2;
    }
    docker = std::move(*made);
    RemoveLeftovers(*docker, settings);
    images_ready = false;
    preload = std::jthread([&] {
      PreloadImages(*docker, settings);
      images_ready = true;
    });
  }
  Executor& executor = docker ? static_cast<Executor&>(*docker) : shell;
  JobRunner runner(
      std::move(runner_options), source, executor, [ep = *endpoint] { return Redis::Connect(ep); },
      &metrics);
  agent_holder = std::make_unique<Agent>(
      AgentOptions{
          .redis = *endpoint,
          .queue = {.stream = settings.redis.stream,
                    .group = settings.redis.group,
                    .consumer = settings.redis.consumer},
          .concurrency = settings.concurrency,
          .shutdown_grace = std::chrono::seconds(settings.shutdown_grace_seconds),
          .lease = std::chrono::seconds(settings.lease_seconds),
          .version = RAIBID_VERSION,
          .maintain_after_idle = std::chrono::seconds(settings.idle_maintenance_seconds),
          .maintain = [&] { Maintain(settings, source, cache.get(), runner, docker.get()); }},
      runner);
  Agent& agent = *agent_holder;
  agent_view = &agent;
  for (const auto& dir :
       {settings.cache_path / "git", settings.cache_path / "deps", settings.work_dir}) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      spdlog::error("cannot create {}: {}", dir.string(), ec.message());
      return 2;
    }
  }
  started = true;
  spdlog::info("health and metrics on http://{}/ (port {})", settings.http_listen, http.port());
  spdlog::info(
      "raibid-agent {} starting: consumer {} in group {} on {} ({}), {} slot(s), "
      "work dir {}, cache {}",
      RAIBID_VERSION, settings.redis.consumer, settings.redis.group, settings.redis.stream,
      Describe(*endpoint), settings.concurrency, settings.work_dir.string(),
      settings.cache_path.string());
  SignalWatcher watcher(agent);
  int rc = agent.Run();
  spdlog::info("raibid-agent stopped");
  return rc;
}

}  // namespace raibid::cli
