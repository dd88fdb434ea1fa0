// An in-process agent wired by the very function `raibid-agent run` uses (agent/wiring.h), on a
// real Redis and real git, with the shell executor and the test binary as its reaper unless the
// options ask for docker; with helpers to submit jobs and read results. The options below become
// Settings (secrets are written to files, as an operator's would be).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "agent/wiring.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"

namespace raibid::testing {

struct HarnessOptions {
  std::string git_base_url;
  std::optional<GitCredentials> credentials;
  std::string secret;                             // masked, as the daemon masks the token it read
  std::map<std::string, std::string> secret_env;  // agent.secrets, as the daemon read them
  double extension_percent = 0;
  int concurrency = 1;
  bool persistent_redis = false;
  bool redis_tls = false;  // Redis serves TLS only; the agent uses rediss:// with the test CA
  uint64_t cache_size = 1ull << 30;  // 0: caching off
  std::optional<RegistryConfig> registry;
  std::optional<StepRegistryLogin> step_login;  // agent.registry.step_username / password_file
  std::filesystem::path reaper;                 // empty: this very binary, in its `__reaper` mode
  bool cache_remote = false;
  std::chrono::seconds maintain_after_idle{0};
  std::function<void()> maintain;
  BackoffPolicy retry{.initial = Millis(50), .max_retries = 2};
  // The docker executor instead of the shell one, on the engine at `docker_host`.
  std::optional<DockerSettings> docker;
  std::string docker_host;
  std::string default_image;  // agent.image
  InputLimits limits;         // agent.limits.*
  ShellSettings shell;        // agent.shell.*
  std::string consumer = "test-agent";
  // Another Redis for the agent (a redis+sentinel:// URL, another harness's): empty: the
  // harness's own. This harness's helpers (Enqueue, Field, ...) still talk to its own server.
  std::string redis_url;
  int lease_seconds = 0;                // agent.lease_seconds; 0: the default
  bool take_over = false;               // `run --take-over`
  std::filesystem::path work_dir;       // agent.work_dir; empty: a directory of the harness's
  uint64_t min_free_disk = 1ull << 30;  // agent.min_free_disk
};

class AgentHarness {
 public:
  explicit AgentHarness(HarnessOptions options);
  AgentHarness() : AgentHarness(HarnessOptions{}) {}
  ~AgentHarness();  // stops the agent (a drain) and joins it

  // XADDs {"job": json} to ci-jobs; returns the entry id.
  std::string Enqueue(const std::string& json);
  // Polls until the job's state is final (or `timeout`); returns the state ("" on timeout).
  std::string WaitFinal(const std::string& job_id,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));
  std::string Field(const std::string& job_id, const std::string& field) const;
  // The job's whole log, concatenated; sys lines included.
  std::string Log(const std::string& job_id) const;
  // Pending entries of the group (XPENDING summary count).
  int PendingCount() const;
  // Entries in the dead-letter stream.
  int DeadCount() const;

  RedisServer& redis() { return redis_; }
  // Where the agent's Redis is, TLS settings included.
  RedisEndpoint redis_endpoint() const;
  // Agent::Run's exit code once it returned (it refused to start, say); nullopt while it runs.
  std::optional<int> exit_code() const {
    const int rc = exit_code_.load();
    return rc < 0 ? std::nullopt : std::optional<int>(rc);
  }
  Agent& agent() { return wired_->agent(); }
  WiredAgent& wired() { return *wired_; }
  // The docker executor, when the options asked for one.
  DockerExecutor* docker() { return wired_->docker(); }
  const std::filesystem::path& root() const { return dir_.path(); }

 private:
  HarnessOptions options_;
  std::unique_ptr<TestPki> pki_;  // with redis_tls: the certificates redis_ serves
  RedisServer redis_;
  TempDir dir_{"raibid-agent"};
  Settings ToSettings() const;
  // Writes `value` to a file of the harness's and returns its path.
  std::filesystem::path SecretFile(const std::string& name, const std::string& value) const;

  std::unique_ptr<WiredAgent> wired_;
  std::atomic<int> exit_code_{-1};
  std::thread thread_;
};

}  // namespace raibid::testing
