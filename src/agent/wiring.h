// The one place where the configuration becomes a running agent: `raibid-agent run` and the test
// harness both call WireAgent, so what a test runs is what an operator runs. It reads the secret
// files the settings name (git token, registry password, agent.secrets), makes the work and cache
// directories, and builds the source cache, the dependency cache, the executor, the runner and
// the agent, in that order; they are destroyed in reverse.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <unistd.h>

#include "agent/agent.h"
#include "agent/disk_guard.h"
#include "agent/idle_upkeep.h"
#include "agent/readiness.h"
#include "config/settings.h"
#include "executor/docker_executor.h"
#include "executor/shell_executor.h"
#include "source/source_cache.h"

namespace raibid {

// agent.redis.url with agent.redis.tls.* applied: the endpoint of every connection the agent and
// the client commands make. A kConfig error for a URL that does not parse, and for TLS settings
// beside a URL that is not rediss:// (they would silently go unused: the connection is plain).
Result<RedisEndpoint> RedisEndpointFrom(const RedisSettings& redis);

// What is not configuration: what the binary knows of itself, and what its caller adds.
struct WiringOptions {
  // The step reaper: a program whose main() dispatches `__reaper` (raibid-agent-reaper, or the
  // agent binary itself).
  std::filesystem::path reaper;
  std::string version = "dev";
  RunObserver* observer = nullptr;        // hears about every job (the metrics); may be null
  std::chrono::milliseconds block{1000};  // XREADGROUP BLOCK: bounds how long a stop waits
  std::function<void()> maintain;         // replaces the idle upkeep when set
  // The agent's effective user: agent.shell.user needs root (0) to switch to.
  uid_t euid = geteuid();
  // `run --take-over`: start even while another live agent holds the consumer name.
  bool take_over = false;
};

// The agent and everything it runs on; made by WireAgent.
class WiredAgent {
 public:
  WiredAgent() = default;  // empty: WireAgent fills it in
  ~WiredAgent();
  WiredAgent(const WiredAgent&) = delete;
  WiredAgent& operator=(const WiredAgent&) = delete;

  Agent& agent() { return *agent_; }
  JobRunner& runner() { return *runner_; }
  // The docker executor, with `executor: docker`; null otherwise.
  DockerExecutor* docker() { return docker_.get(); }
  const RedisEndpoint& redis() const { return endpoint_; }
  // The secrets read at start-up (and the Redis password): what the agent's own log must mask.
  const Masker& masker() const { return masker_; }
  // What /readyz answers: the agent connected and not draining, the work and cache directories
  // writable with agent.min_free_disk free, the container engine answering (docker executor).
  // Others may add their own checks.
  Readiness& readiness() { return readiness_; }
  // Whether the disks leave room for jobs (agent.min_free_disk); the agent asks it before it
  // takes one.
  const DiskGuard& disk_guard() const { return *disk_guard_; }

  // With the docker executor: removes the containers a crashed predecessor of this name left,
  // then pulls agent.image and agent.docker.preload_images in the background; images_ready()
  // turns true when the pulls are done (at once for the shell executor).
  void PrepareEngine();
  bool images_ready() const { return images_ready_.load(); }

 private:
  friend Result<std::unique_ptr<WiredAgent>> WireAgent(const Settings&, WiringOptions);

  std::string name_;  // the consumer name
  RedisEndpoint endpoint_;
  Masker masker_;
  std::unique_ptr<SourceCache> source_;
  std::unique_ptr<CacheStore> cache_;
  std::unique_ptr<ShellExecutor> shell_;
  std::unique_ptr<DockerExecutor> docker_;
  std::unique_ptr<JobRunner> runner_;
  std::unique_ptr<IdleUpkeep> upkeep_;
  std::unique_ptr<DiskGuard> disk_guard_;
  std::unique_ptr<Agent> agent_;
  Readiness readiness_;  // its checks refer to agent_ and docker_
  std::vector<std::string> preload_;
  std::atomic<bool> images_ready_{true};
  std::jthread preloader_;
};

// Fails (kConfig, the message naming the key or the path) when the Redis URL is malformed, a
// secret file cannot be read, a directory cannot be made or written to ("work dir /w not
// writable: Permission denied"), the docker executor's options are wrong, or agent.shell.user
// names no user or cannot be honoured (the agent is not root). With the shell executor and no
// agent.shell.user it logs a warning: steps run as the agent's user. Nothing is running when it
// fails; on success the agent is built but not yet running (Agent::Run starts it).
Result<std::unique_ptr<WiredAgent>> WireAgent(const Settings& settings, WiringOptions options);

// "a, b" -> {"a", "b"}: the comma-separated lists of the configuration.
std::vector<std::string> SplitList(const std::string& text);

}  // namespace raibid
