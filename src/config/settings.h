// The agent's configuration: the `agent:` YAML file (docs/configuration.md is the operator's
// reference; every key there maps to one field here). Parsing takes the environment through an
// EnvLookup, so only LoadSettingsFile reads the process environment and the disk.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/env_expand.h"
#include "config/pull_policy.h"
#include "config/size.h"
#include "util/error.h"
#include "util/input_limits.h"

namespace raibid {

struct ResourceSpec {
  std::string cpu;     // "2", "0.5" or "500m"; empty: no limit
  std::string memory;  // a size ("4Gi"); empty: no limit
};

// agent.redis.tls.*: how a rediss:// connection is verified (docs/configuration.md).
struct RedisTlsSettings {
  std::filesystem::path ca_file;              // empty: the system's CAs
  std::filesystem::path cert_file, key_file;  // the client certificate (mutual TLS)
  std::string server_name;                    // the certificate's name; empty: the URL's host
  bool insecure_skip_verify = false;
  bool any() const {
    return !ca_file.empty() || !cert_file.empty() || !key_file.empty() || !server_name.empty() ||
           insecure_skip_verify;
  }
};

struct RedisSettings {
  std::string url = "redis://127.0.0.1:6379";
  std::string stream = "ci-jobs";  // stream_name: where `submit` enqueues without --queue
  // agent.redis.streams: every stream the agent consumes, through the one group; never empty
  // after parsing (`stream` alone when not configured).
  std::vector<std::string> streams;
  std::string group = "ci-workers";
  std::string consumer;  // never empty after parsing: the host name when not configured
  RedisTlsSettings tls;
  // agent.redis.sentinel.*: the sentinels' own login, for a redis+sentinel:// url
  std::string sentinel_username, sentinel_password;
};

// agent.docker.*: the `docker` executor (docs/docker.md).
struct DockerSettings {
  PullPolicy pull_policy = PullPolicy::kIfNotPresent;
  // The image of a pipeline that names a `language` but no `image`.
  std::string language_image = "raibid/{language}-builder:{version}";
  std::string preload_images;      // comma-separated; pulled at start-up with agent.image
  bool allow_network = false;      // may a pipeline ask for `network: bridge`
  int pids_limit = 4096;           // per job container; 0: none
  uint64_t tmp_size = 1ull << 30;  // the job container's /tmp tmpfs
  std::string user;                // forces the steps' user ("1000:1000"); empty: the image's
  bool allow_privileged = false;   // may a pipeline ask for `privileged: true`
  std::string host_paths;          // comma-separated host directories pipelines may mount
  std::string step_host;  // an engine the steps may use (Docker-in-Docker): unix:// or tcp://
};

// agent.shell.*: the `shell` executor (docs/security.md).
struct ShellSettings {
  // The agent's variables a step gets; nothing else of the agent's environment reaches it.
  std::vector<std::string> env_passthrough = {"PATH", "LANG", "LC_ALL", "TZ", "TERM"};
  std::string user;  // "UID:GID" or a user name: steps run as it (the agent must be root)
};

// agent.executor: where steps run.
enum class ExecutorKind {
  kShell,   // "shell": host processes
  kDocker,  // "docker": a container per job (executor/docker_executor.h)
};

struct Settings {
  std::string image;              // agent.image
  ResourceSpec requests, limits;  // agent.resources.{requests,limits}.{cpu,memory}
  bool cache_enabled = true;
  std::filesystem::path cache_path = "/var/cache/raibid";
  uint64_t cache_size_bytes = 50ull << 30;
  int idle_maintenance_seconds = 300;  // agent.cache.idle_maintenance_seconds; 0: never
  bool cache_remote = false;           // agent.cache.remote: share caches through the registry
  double default_timeout_minutes = 30, max_timeout_minutes = 120;
  // At a job's timeout it gets a warning and one extension of this percentage of its timeout
  // (never past max_timeout_minutes); 0: killed at the timeout.
  double timeout_extension_percent = 10;
  // After a job timed out or was cancelled, its steps for failure (when.status failure or
  // always) run within this budget.
  double cleanup_timeout_minutes = 5;
  RedisSettings redis;
  ExecutorKind executor = ExecutorKind::kShell;
  ShellSettings shell;
  std::string docker_host;  // never empty after parsing
  DockerSettings docker;
  int concurrency = 1;
  // agent.max_jobs: exit once this many jobs have ended (`run --max-jobs`, `--once` is 1); 0: no
  // limit.
  int max_jobs = 0;
  // agent.exit_after_idle: exit once no job ran or was taken for this long; 0: never.
  std::chrono::milliseconds exit_after_idle{0};
  // How many of one job's steps may run at the same time (independent steps, depends_on);
  // 0: the job's CPUs rounded up, at least 2.
  int parallel_steps = 0;
  std::filesystem::path work_dir = "/var/lib/raibid/work";
  // agent.min_free_disk: /readyz fails while the work or cache directory's filesystem has less
  // free; 0: not checked.
  uint64_t min_free_disk_bytes = 1ull << 30;
  std::string http_listen = "0.0.0.0:9090";  // HOST:PORT; port 0 picks a free one
  std::string git_base_url;
  std::filesystem::path git_token_file;
  std::string git_username = "raibid";
  std::string registry_url, registry_username;
  std::filesystem::path registry_password_file;
  // agent.registry.step_username / step_password_file: the login steps get; none: no login file
  std::string registry_step_username;
  std::filesystem::path registry_step_password_file;
  bool registry_insecure = false;
  std::filesystem::path registry_ca_file;      // agent.registry.ca_file
  uint64_t registry_chunk_size = 64ull << 20;  // agent.registry.chunk_size
  std::string registry_reference =
      "{registry}/{repository}:build-{job_id}";  // agent.registry.reference
  std::string registry_image_tag =
      "{registry}/{repository}:{short_revision}";  // agent.registry.image_tag
  int lease_seconds = 60, max_deliveries = 3, shutdown_grace_seconds = 600, retention_days = 7;
  uint64_t log_limit_bytes = 16ull << 20;  // per job, kept in Redis
  std::string log_format = "auto";         // agent.log.format: auto | text | json
  uint64_t status_stream_maxlen = 100000;
  // Retryable failures inside a job (git transport errors) wait 1, 2, 4, 8, 16 s: agent.retry.*
  double retry_initial_seconds = 1;
  int retry_max_retries = 5;
  double retry_jitter_percent = 20;
  // agent.limits.*: what a job's input may cost (util/input_limits.h). `limits` above is
  // agent.resources.limits.
  InputLimits input_limits;
  // agent.secrets: NAME -> a file holding its value. Every step gets NAME in its environment; the
  // value is masked wherever it could appear, as the git token and registry password are.
  std::map<std::string, std::filesystem::path> secret_files;
};

// Parses the agent YAML (top-level key `agent:`). `${VAR}` and `${VAR:-default}` in values are
// expanded with `lookup` (see env_expand.h) before they are typed. An empty document gives the
// defaults; an empty value (`image:`, `image: ""`, or `"${X}"` with X unset or empty) keeps the
// key's default.
//
// An unknown key is not an error: a warning "agent.foo (line 3): unknown key, ignored" is
// appended to `warnings` (which may be null), with " (did you mean 'steps'?)" when a
// key of the same section is near. A wrong type or value, a key given twice, or a YAML
// syntax error is an Error of kind kConfig reading "FILE:LINE:COL: agent.cache.size: expected a
// size like 10Gi, got 'abc'". On success `redis.consumer` and `docker_host` are filled in:
// the host name, and $DOCKER_HOST (through `lookup`) or unix:///var/run/docker.sock.
Result<Settings> ParseSettings(std::string_view yaml, std::string_view filename,
                               const EnvLookup& lookup, std::vector<std::string>* warnings);

// Every key the parser knows, as dotted paths in schema order ("agent.cache.remote"); a map whose
// entries the user names (agent.secrets) is one path. Anything else in a file is an unknown key.
std::vector<std::string> KnownSettingKeys();

// Reads `file` (an error naming it when missing, unreadable or over 1 MiB), then ParseSettings
// with the process environment.
Result<Settings> LoadSettingsFile(const std::filesystem::path& file,
                                  std::vector<std::string>* warnings);

}  // namespace raibid
