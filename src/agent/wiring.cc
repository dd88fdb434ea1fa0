#include "agent/wiring.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "http/http_url.h"
#include "util/disk_usage.h"

namespace raibid {
namespace {

Result<std::string> ReadSecretFile(const std::filesystem::path& path, const std::string& what) {
  std::ifstream in(path);
  if (!in) return Fail(ErrorKind::kConfig, what + ": cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

RunnerOptions RunnerOptionsFrom(const Settings& settings, const std::string& version) {
  return {.agent_name = settings.redis.consumer,
          .agent_version = version,
          .work_dir = settings.work_dir,
          .git_base_url = settings.git_base_url,
          .default_timeout_minutes = settings.default_timeout_minutes,
          .max_timeout_minutes = settings.max_timeout_minutes,
          .timeout_extension_percent = settings.timeout_extension_percent,
          .cleanup_minutes = settings.cleanup_timeout_minutes,
          .parallel_steps = settings.parallel_steps,
          .job_cpu_limit = settings.limits.cpu,
          .report = {.status_maxlen = settings.status_stream_maxlen,
                     .retention = std::chrono::hours(24) * settings.retention_days,
                     .log_limit_bytes = settings.log_limit_bytes},
          .max_deliveries = settings.max_deliveries,
          .retry = {.initial = Millis(static_cast<int64_t>(settings.retry_initial_seconds * 1000)),
                    .max_retries = settings.retry_max_retries,
                    .jitter = std::min(settings.retry_jitter_percent, 100.0) / 100.0},
          .artifact_reference = settings.registry_reference,
          .image_tag = settings.registry_image_tag,
          .default_image = settings.image,
          .language_image = settings.docker.language_image,
          .limits = settings.input_limits};
}

// The git token: offered only to the configured git server, never to a URL a job names elsewhere.
Result<std::optional<GitCredentials>> ReadGitCredentials(const Settings& settings, Masker& masker) {
  if (settings.git_token_file.empty()) return std::nullopt;
  auto token = ReadSecretFile(settings.git_token_file, "git.token_file");
  if (!token) return std::unexpected(token.error());
  masker.Add(*token);
  return GitCredentials{.username = settings.git_username,
                        .token_file = settings.git_token_file,
                        .url_prefix = settings.git_base_url};
}

// agent.registry.step_username / step_password_file: the login image-building steps get.
Status ReadStepLogin(const Settings& settings, RunnerOptions& runner) {
  if (settings.registry_step_username.empty() != settings.registry_step_password_file.empty()) {
    return Fail(ErrorKind::kConfig,
                "agent.registry.step_username and agent.registry.step_password_file go together: "
                "set both to give image-building steps a login, or neither");
  }
  if (settings.registry_step_username.empty()) return {};
  auto password =
      ReadSecretFile(settings.registry_step_password_file, "registry.step_password_file");
  if (!password) return std::unexpected(password.error());
  runner.masker.Add(*password);
  runner.step_login =
      StepRegistryLogin{.username = settings.registry_step_username, .password = *password};
  return {};
}

// agent.registry: where artifacts (and, with cache.remote, caches) go; the login image pulls use.
Result<std::optional<RegistryLogin>> ReadRegistry(const Settings& settings, RunnerOptions& runner) {
  if (settings.registry_url.empty()) return std::nullopt;
  RegistryConfig registry{.url = settings.registry_url,
                          .username = settings.registry_username,
                          .insecure = settings.registry_insecure,
                          .ca_file = settings.registry_ca_file.string(),
                          .chunk_size = settings.registry_chunk_size};
  if (!settings.registry_password_file.empty()) {
    auto password = ReadSecretFile(settings.registry_password_file, "registry.password_file");
    if (!password) return std::unexpected(password.error());
    registry.password = *password;
    runner.masker.Add(*password);
  }
  if (auto step_login = ReadStepLogin(settings, runner); !step_login) {
    return std::unexpected(step_login.error());
  }
  runner.registry = registry;
  runner.cache_remote = settings.cache_remote;
  return RegistryLogin{.server = ParseHttpUrl(settings.registry_url).value_or(HttpUrl{}).authority,
                       .username = registry.username,
                       .password = registry.password};
}

Status ReadAgentSecrets(const Settings& settings, RunnerOptions& runner) {
  for (const auto& [name, file] : settings.secret_files) {
    auto value = ReadSecretFile(file, "secrets." + name);
    if (!value) return std::unexpected(value.error());
    runner.masker.Add(*value);
    runner.secret_env[name] = std::move(*value);
  }
  return {};
}

// The directories the agent writes to, each with what it is called in messages.
using AgentDirs = std::vector<std::pair<std::filesystem::path, std::string>>;
AgentDirs AgentDirectories(const Settings& settings) {
  return {{settings.work_dir, "work dir"},
          {settings.cache_path / "git", "cache dir"},
          {settings.cache_path / "deps", "cache dir"}};
}

// Made, then written to: an agent that cannot write there would fail every job it takes.
Status MakeDirectories(const AgentDirs& dirs) {
  for (const auto& [dir, what] : dirs) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec)
      return std::unexpected(ErrnoError(ec, "cannot create " + dir.string(), ErrorKind::kConfig));
    if (auto s = CheckWritable(dir, what); !s) return s;
  }
  return {};
}

// The agent's directories can be written to.
std::function<Status()> DirectoriesCheck(const Settings& settings) {
  return [dirs = AgentDirectories(settings)]() -> Status {
    for (const auto& [dir, what] : dirs) {
      if (auto s = CheckWritable(dir, what); !s) return s;
    }
    return {};
  };
}

// The filesystems of the work and cache directories have agent.min_free_disk free.
std::function<Status()> DiskCheck(const Settings& settings) {
  return [work = settings.work_dir, cache = settings.cache_path,
          min = settings.min_free_disk_bytes]() -> Status {
    if (auto s = CheckFreeSpace(work, "work dir", min); !s) return s;
    return CheckFreeSpace(cache, "cache dir", min);
  };
}

// What /readyz follows: the consumer, the directories, their free space, the engine.
void AddReadinessChecks(Readiness& readiness, const Settings& settings, const Agent& agent,
                        const RedisEndpoint& endpoint, DockerExecutor* docker) {
  readiness.Add("agent", AgentCheck(agent, Describe(endpoint), settings.redis.group));
  readiness.Add("directories", FromStatus(DirectoriesCheck(settings)));
  readiness.Add("disk", FromStatus(DiskCheck(settings)));
  if (docker != nullptr) readiness.Add("engine", FromStatus([docker] { return docker->Ready(); }));
}

// Whether a local fault has cleared (a job was handed back for it): the directories made again
// as at start (one removed meanwhile is the fault itself), then the disk and executor checks
// /readyz runs.
std::function<Status()> LocalProbe(const Settings& settings, Executor* executor) {
  return [dirs = AgentDirectories(settings), disk = DiskCheck(settings), executor]() -> Status {
    if (auto s = MakeDirectories(dirs); !s) return s;
    if (auto s = disk(); !s) return s;
    return executor->Ready();
  };
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

// agent.shell.*. Only root may run a process as another user, so a shell.user the agent cannot
// honour stops it at start rather than leaving steps with the agent's own rights.
Result<ShellOptions> ShellOptionsFrom(const ShellSettings& shell, uid_t euid) {
  ShellOptions options{.env_passthrough = shell.env_passthrough};
  if (shell.user.empty()) {
    spdlog::warn(
        "steps run as the agent's own user (uid {}): a pipeline can read every file the agent can "
        "(its configuration, the git token and registry password files, agent.secrets) and "
        "inspect its processes; run only trusted code with the shell executor, or set "
        "agent.shell.user or use the docker executor (docs/security.md)",
        euid);
    return options;
  }
  auto user = ResolveUser(shell.user);
  if (!user) return Fail(ErrorKind::kConfig, "agent.shell.user: " + user.error().message);
  if (euid != 0) {
    return Fail(ErrorKind::kConfig, "agent.shell.user: running steps as '" + shell.user +
                                        "' needs an agent running as root (this one runs as uid " +
                                        std::to_string(euid) + ")");
  }
  options.user = *user;
  return options;
}

// agent.min_free_disk before each job: the cache store's entries go first when a disk is low.
std::unique_ptr<DiskGuard> MakeDiskGuard(const Settings& settings, CacheStore* cache) {
  DiskGuardOptions options{
      .dirs = {{"work dir", settings.work_dir}, {"cache dir", settings.cache_path}},
      .min_free = settings.min_free_disk_bytes,
      .free_bytes = [](const std::filesystem::path& dir) { return FreeBytes(dir); }};
  if (cache != nullptr) {
    options.evict = [cache](const std::function<bool()>& enough) {
      return cache->EvictUntil(enough);
    };
  }
  return std::make_unique<DiskGuard>(std::move(options), Clock::Real());
}

AgentOptions AgentOptionsFrom(const Settings& settings, const RedisEndpoint& endpoint,
                              const WiringOptions& options) {
  return {.redis = endpoint,
          .queue = {.stream = settings.redis.stream,
                    .group = settings.redis.group,
                    .consumer = settings.redis.consumer,
                    .streams = settings.redis.streams},
          .concurrency = settings.concurrency,
          .shutdown_grace = std::chrono::seconds(settings.shutdown_grace_seconds),
          .block = options.block,
          .lease = std::chrono::seconds(settings.lease_seconds),
          .version = options.version,
          .maintain_after_idle = std::chrono::seconds(settings.idle_maintenance_seconds),
          .max_jobs = settings.max_jobs,
          .exit_after_idle = settings.exit_after_idle};
}

}  // namespace

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

Result<RedisEndpoint> RedisEndpointFrom(const RedisSettings& redis) {
  auto endpoint = ParseRedisUrl(redis.url);
  if (!endpoint) return endpoint;
  if (!redis.sentinel_username.empty() || !redis.sentinel_password.empty()) {
    if (!endpoint->sentinel) {
      return Fail(ErrorKind::kConfig,
                  "agent.redis.sentinel is set but the redis url is not redis+sentinel://");
    }
    endpoint->sentinel->username = redis.sentinel_username;
    endpoint->sentinel->password = redis.sentinel_password;
  }
  const RedisTlsSettings& tls = redis.tls;
  if (!endpoint->tls.enabled) {
    if (!tls.any()) return endpoint;
    return Fail(ErrorKind::kConfig,
                "agent.redis.tls is set but the redis url is not rediss://: use rediss:// for TLS");
  }
  endpoint->tls.ca_file = tls.ca_file.string();
  endpoint->tls.cert_file = tls.cert_file.string();
  endpoint->tls.key_file = tls.key_file.string();
  endpoint->tls.server_name = tls.server_name;
  endpoint->tls.insecure_skip_verify = tls.insecure_skip_verify;
  return endpoint;
}

Result<std::unique_ptr<WiredAgent>> WireAgent(const Settings& settings, WiringOptions options) {
  auto endpoint = RedisEndpointFrom(settings.redis);
  if (!endpoint) return std::unexpected(endpoint.error());
  if (endpoint->tls.insecure_skip_verify) {
    spdlog::warn(
        "redis: agent.redis.tls.insecure_skip_verify is on: the server's certificate is "
        "not checked");
  }
  RunnerOptions runner_options = RunnerOptionsFrom(settings, options.version);
  auto credentials = ReadGitCredentials(settings, runner_options.masker);
  if (!credentials) return std::unexpected(credentials.error());
  if (!endpoint->password.empty()) runner_options.masker.Add(endpoint->password);
  if (endpoint->sentinel && !endpoint->sentinel->password.empty()) {
    runner_options.masker.Add(endpoint->sentinel->password);
  }
  auto login = ReadRegistry(settings, runner_options);
  if (!login) return std::unexpected(login.error());
  if (auto s = ReadAgentSecrets(settings, runner_options); !s) return std::unexpected(s.error());
  if (auto s = MakeDirectories(AgentDirectories(settings)); !s) return std::unexpected(s.error());

  auto w = std::make_unique<WiredAgent>();
  w->name_ = settings.redis.consumer;
  w->endpoint_ = *endpoint;
  w->masker_ = runner_options.masker;
  w->source_ = std::make_unique<SourceCache>(settings.cache_path / "git", *credentials);
  if (settings.cache_enabled) {
    w->cache_ = std::make_unique<CacheStore>(
        settings.cache_path / "deps", settings.cache_size_bytes,
        std::vector<std::filesystem::path>{settings.cache_path / "git"},
        std::max(1u, std::thread::hardware_concurrency()));
    runner_options.cache = w->cache_.get();
  }
  Executor* executor = nullptr;
  if (settings.executor == ExecutorKind::kDocker) {
    auto docker = MakeDockerExecutor(settings, *login);
    if (!docker) return std::unexpected(docker.error());
    w->docker_ = std::move(*docker);
    executor = w->docker_.get();
    if (!settings.image.empty()) w->preload_.push_back(settings.image);
    for (auto& image : SplitList(settings.docker.preload_images)) w->preload_.push_back(image);
  } else {
    auto shell = ShellOptionsFrom(settings.shell, options.euid);
    if (!shell) return std::unexpected(shell.error());
    w->shell_ = std::make_unique<ShellExecutor>(options.reaper, std::move(*shell));
    executor = w->shell_.get();
  }
  // One board for the faults the consumer and the jobs' status writes meet (/readyz).
  auto faults = std::make_shared<RedisFaultBoard>();
  runner_options.report.faults = faults;
  w->runner_ = std::make_unique<JobRunner>(
      std::move(runner_options), *w->source_, *executor,
      [ep = *endpoint] { return Redis::Connect(ep); }, options.observer);
  w->upkeep_ = std::make_unique<IdleUpkeep>(settings.work_dir, *w->source_, w->cache_.get(),
                                            *w->runner_, w->docker_.get());
  AgentOptions agent_options = AgentOptionsFrom(settings, *endpoint, options);
  agent_options.faults = faults;
  agent_options.maintain = options.maintain
                               ? options.maintain
                               : std::function<void()>([u = w->upkeep_.get()] { u->Run(); });
  agent_options.take_over = options.take_over;
  agent_options.local_probe = LocalProbe(settings, executor);
  w->disk_guard_ = MakeDiskGuard(settings, w->cache_.get());
  agent_options.hold_jobs = [g = w->disk_guard_.get()] { return g->Check(); };
  w->agent_ = std::make_unique<Agent>(std::move(agent_options), *w->runner_);
  AddReadinessChecks(w->readiness_, settings, *w->agent_, *endpoint, w->docker_.get());
  return w;
}

WiredAgent::~WiredAgent() = default;

void WiredAgent::PrepareEngine() {
  if (!docker_) return;
  if (auto left = docker_->RemoveLeftovers(); !left) {
    spdlog::warn("container engine: {}", left.error().message);
  } else if (*left > 0) {
    spdlog::info("removed {} container(s) an earlier run of {} left", *left, name_);
  }
  images_ready_ = false;
  preloader_ = std::jthread([this] {
    for (const auto& image : preload_) {
      const auto t0 = std::chrono::steady_clock::now();
      if (auto s = docker_->EnsureImage(image); !s) {
        spdlog::warn("preloading image {}: {}", image, s.error().message);
      } else {
        spdlog::info("image {} ready ({} ms)", image,
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - t0)
                         .count());
      }
    }
    images_ready_ = true;
  });
}

}  // namespace raibid
