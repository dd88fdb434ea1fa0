// The `docker` executor: every job runs in a container of its own, made through the Docker
// Engine API (engine/engine_client.h) of a Docker Engine, a Docker-in-Docker sidecar or Podman's
// service. The engine owns images and storage; the executor owns the job's container:
//
// - the image is pulled by policy (if-not-present, always, never), with the registry login sent
//   as X-Registry-Auth when the image lives on the configured registry;
// - the container runs a tiny keep-alive as PID 1; each step is an `exec` into it
//   (`bash -e -o pipefail -c` where the image has bash, else `sh -e -c`), whose multiplexed
//   output feeds the job's log and whose exit code comes from the exec's inspect;
// - the workspace is bind-mounted at /workspace (the working directory), the job's cache home
//   at /raibid/cache-home, the registry login at /raibid/auth (read-only); host paths in a
//   step's environment are rewritten to those; /tmp is a tmpfs;
// - network `none` unless the pipeline asks for `bridge` and the agent allows it; memory, CPU
//   and pids limits (the pipeline's requests capped by the agent's limits); all capabilities
//   dropped but a build-safe set; no-new-privileges; labels naming the agent and the job;
// - a timeout or a stop kills the container; an out-of-memory kill is reported with the limit;
//   when the session ends the container is removed, after giving the workspace and cache home
//   back to the agent's user when the agent is not root (files a step made as root never break
//   the next job or the cache).
//
// Thread-safety: Begin may run on several threads at once; each session has its own connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/pull_policy.h"
#include "engine/engine_client.h"
#include "executor/executor.h"
#include "util/mutex.h"

namespace raibid {

class DockerService;
class DockerSession;

struct RegistryLogin {
  std::string server;  // host[:port] as image references name it
  std::string username, password;
};

struct DockerOptions {
  std::string host;        // the engine: unix:///var/run/docker.sock, tcp://host:port
  std::string agent_name;  // the raibid.agent label: whose containers these are
  PullPolicy pull_policy = PullPolicy::kIfNotPresent;
  std::optional<RegistryLogin> login;
  bool allow_network = false;
  int64_t pids_limit = 4096;
  uint64_t tmp_size = 1ull << 30;
  std::string user;                     // forced step user; empty: the image's
  bool allow_privileged = false;        // may a pipeline ask for `privileged: true`
  std::vector<std::string> host_paths;  // host directories pipelines may mount (`volumes`)
  std::string step_host;  // an engine for the steps' own `docker` commands; empty: none
  std::string limit_cpu, limit_memory;  // agent.resources.limits: caps for every job
  // The most of an engine answer kept (agent.limits.http_response_bytes).
  size_t http_response_bytes = EngineClient::kDefaultBodyLimit;
};

class DockerExecutor final : public Executor {
 public:
  // Fails (kConfig) when `options.host` or a limit cannot be parsed.
  static Result<std::unique_ptr<DockerExecutor>> Create(DockerOptions options);

  Result<std::unique_ptr<JobSession>> Begin(const JobEnvironment& job, LogSink& sink,
                                            const StopSource& stop) override;
  // Pings the engine.
  Status Ready() override;

  // Removes the containers a crashed predecessor with this agent's name left; how many.
  Result<int> RemoveLeftovers();
  // Idle upkeep: removes dangling images (old layers of tags that moved on).
  Result<EngineClient::Pruned> PruneImages() { return Connect()->PruneDanglingImages(); }
  // Makes sure `image` is present by the pull policy (the start-up preload); `progress` gets
  // the engine's pull status lines.
  Status EnsureImage(const std::string& image,
                     const std::function<void(const std::string&)>& progress = {});

 private:
  DockerExecutor(DockerOptions options, EngineEndpoint endpoint, int64_t memory, int64_t nano_cpus)
      : options_(std::move(options)),
        endpoint_(std::move(endpoint)),
        memory_limit_(memory),
        nano_cpus_limit_(nano_cpus) {}
  // The image's configuration once it is present.
  Result<ImageInfo> EnsureImage(EngineClient& client, const std::string& image,
                                const std::function<void(const std::string&)>& progress);
  // EnsureImage for a job: the pull ends with `stop`, its progress goes to the job's log.
  Result<ImageInfo> PullForJob(EngineClient& client, const std::string& image, LogSink& sink,
                               const StopSource& stop);
  // Removes the containers labelled `key`=`value` of this agent, namespace holders last.
  Result<int> RemoveLabelled(EngineClient& client, const std::string& key,
                             const std::string& value);
  // Begin's parts for services and step images (docker_executor.cc says what each does).
  Status ShareNetwork(EngineClient& client, const JobEnvironment& job, ContainerSpec& spec,
                      DockerSession& session);
  Status AddStepImage(EngineClient& client, const JobEnvironment& job,
                      const ContainerSpec& job_spec, size_t index, DockerSession& session,
                      LogSink& sink, const StopSource& stop);
  Status StartServices(const JobEnvironment& job, const ContainerSpec& job_spec,
                       DockerSession& session, LogSink& sink, const StopSource& stop);
  Status StartService(DockerService& service, const JobEnvironment& job,
                      const ContainerSpec& job_spec, const DockerSession& session, LogSink& sink,
                      const StopSource& stop);
  // A client for one job; after the first, without a negotiation round trip.
  std::unique_ptr<EngineClient> Connect();
  // "Podman Engine 4.3.1", asked once.
  std::string EngineName(EngineClient& client);

  DockerOptions options_;
  EngineEndpoint endpoint_;
  int64_t memory_limit_ = 0, nano_cpus_limit_ = 0;
  Mutex mu_;
  std::string api_version_ GUARDED_BY(mu_);
  std::string engine_name_ GUARDED_BY(mu_);
};

// "2" -> 2e9, "0.5" -> 5e8, "500m" -> 5e8; an error for anything else.
Result<int64_t> ParseNanoCpus(std::string_view text);

}  // namespace raibid
