// A client of the Docker Engine HTTP API, the few calls a build agent needs: version
// negotiation, images (inspect, pull, prune), containers (create, start, kill, remove, list by
// label, inspect) and exec with its multiplexed output stream. Spoken over the engine's unix
// socket or TCP, so the same code drives a Docker Engine, a Docker-in-Docker sidecar, or
// Podman's Docker-compatible service (`podman system service`).
//
// Every call that cannot reach the engine fails with kInfrastructure, retryable, naming the
// engine; an answer the engine refuses carries the engine's own message. Requests use API
// version min(the engine's, 1.41), negotiated by the first call through /_ping's Api-Version.
//
// Not thread-safe: one client per thread (each owns one HTTP connection).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/mux_stream.h"
#include "util/error.h"
#include "util/stop_token.h"

namespace raibid {

class HttpTransport;

// Where the engine listens: "unix:///var/run/docker.sock", "tcp://host:2375" (plain HTTP, as
// DOCKER_HOST spells it), or "http://host:port".
struct EngineEndpoint {
  std::string host;         // as configured, for messages
  std::string unix_socket;  // set for unix://
  std::string base_url;     // "http://localhost" for a socket, else "http://host:port"
};
Result<EngineEndpoint> ParseEngineHost(std::string_view host);

struct EngineVersion {
  std::string version;      // "4.3.1", "27.1.1"
  std::string api_version;  // the engine's newest API version, "1.41"
  std::string used_api;     // the version this client speaks with it
  std::string name;         // "Podman Engine", "Docker Engine - Community", or ""
  std::string os, arch;
};

struct ImageInfo {
  std::string id;
  std::string user;  // Config.User: "", "1000", "builder:builder"
  std::vector<std::string> env;
};

struct ContainerSpec {
  std::string name;  // empty: the engine picks one
  std::string image;
  std::vector<std::string> entrypoint, cmd;
  std::string working_dir, user;
  std::vector<std::string> env;  // "NAME=value"
  std::map<std::string, std::string> labels;
  std::vector<std::string> binds;            // "host:container[:ro]"
  std::map<std::string, std::string> tmpfs;  // mount point -> options ("rw,size=1g")
  std::string network_mode = "none";
  int64_t memory_bytes = 0;  // 0: no limit; swap is limited to the same amount
  int64_t nano_cpus = 0;     // CPUs * 1e9; 0: no limit
  int64_t pids_limit = 0;    // 0: no limit
  std::vector<std::string> cap_drop, cap_add, security_opt;
  bool privileged = false;
};

struct ContainerState {
  std::string id, name, status;  // status: "created", "running", "exited", ...
  bool running = false;
  bool oom_killed = false;
  int exit_code = 0;
  std::map<std::string, std::string> labels;
};

struct ExecSpec {
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string working_dir, user;
};

struct ExecState {
  bool running = false;
  std::optional<int> exit_code;  // none while running
};

// What a container has used, from GET /containers/{id}/stats (the engine reads the container's
// cgroup).
struct ContainerUsage {
  uint64_t cpu_ns = 0;  // cpu_stats.cpu_usage.total_usage: CPU time of all its processes so far
  // memory_stats.usage, less the inactive file pages where the engine gives them (Docker; as
  // `docker stats` shows it); Podman gives usage alone, page cache included. Nullopt: not given.
  std::optional<uint64_t> memory_bytes;
};

class EngineClient {
 public:
  // `body_limit`: the most of an answer's body kept (agent.limits.http_response_bytes); a longer
  // answer is an error naming the limit. Streams (an exec's output, a pull's progress) are read
  // as they come and are not limited by it.
  explicit EngineClient(EngineEndpoint endpoint, size_t body_limit = kDefaultBodyLimit);
  static constexpr size_t kDefaultBodyLimit = 4 << 20;
  ~EngineClient();
  EngineClient(const EngineClient&) = delete;
  EngineClient& operator=(const EngineClient&) = delete;

  const EngineEndpoint& endpoint() const { return endpoint_; }
  // Stops every call in progress and later ones (kCancelled) once `stop` is requested.
  void set_stop(const StopSource* stop);

  // The engine's versions (slow on Podman: it asks its runtimes; call it once).
  Result<EngineVersion> Version();
  Status Ping();
  // The API version in use ("1.41"), "" before the first call negotiated it. Setting it skips
  // the negotiation (a client made after another already negotiated with the same engine).
  std::string api_version() const;
  void set_api_version(const std::string& version);

  // nullopt when the engine does not have the image.
  Result<std::optional<ImageInfo>> InspectImage(const std::string& reference);
  // Pulls `reference`; `registry_auth` is the X-Registry-Auth value (see RegistryAuthHeader) or
  // "". `progress` receives the engine's status lines ("Pulling fs layer", ...) as they come.
  Status PullImage(const std::string& reference, const std::string& registry_auth,
                   const std::function<void(const std::string&)>& progress = {});
  struct Pruned {
    int images = 0;
    uint64_t bytes = 0;
  };
  // Removes dangling images (untagged: left behind when a tag moved to a newer image).
  Result<Pruned> PruneDanglingImages();

  Result<std::string> CreateContainer(const ContainerSpec& spec);  // the container's id
  Status StartContainer(const std::string& id);
  // Kills with SIGKILL. A container that already stopped is not an error.
  Status KillContainer(const std::string& id);
  // Removes the container and its anonymous volumes, killing it first. A container that is
  // already gone is not an error.
  Status RemoveContainer(const std::string& id);
  // Nullopt when there is no such container.
  Result<std::optional<ContainerState>> InspectContainer(const std::string& id);
  // All containers (running or not) carrying label `key`=`value`.
  Result<std::vector<ContainerState>> ListContainers(const std::string& key,
                                                     const std::string& value);

  Result<std::string> CreateExec(const std::string& container, const ExecSpec& spec);
  // Starts the exec and streams its output to `output` until the process ends (its stdout and
  // stderr close). `keep_going` is polled while it runs (about once a second when it is quiet,
  // and after every piece of output); when it says no, the call ends with kCancelled and the
  // process is left running (kill the container to end it).
  Status StartExec(const std::string& exec_id, const MuxDecoder::Output& output,
                   const std::function<bool()>& keep_going = {});
  Result<ExecState> InspectExec(const std::string& exec_id);
  // One reading of the container's stats (stream=false, one-shot: no wait for a second sample).
  Result<ContainerUsage> ContainerStats(const std::string& id);

  // Streams the container's output (from its start, then following it) to `output` until the
  // container stops; `keep_going` as for StartExec (kCancelled when it says no).
  Status StreamLogs(const std::string& container, const MuxDecoder::Output& output,
                    const std::function<bool()>& keep_going = {});

 private:
  struct Reply;
  Result<Reply> Call(const std::string& method, const std::string& path,
                     const std::string& body = "", std::vector<std::string> headers = {});
  Status Negotiate();
  // A POST or GET whose answer is a multiplexed stream (an exec's, a container's logs).
  Status Stream(const std::string& method, const std::string& path, const std::string& body,
                const MuxDecoder::Output& output, const std::function<bool()>& keep_going,
                const std::string& what);

  EngineEndpoint endpoint_;
  std::unique_ptr<HttpTransport> http_;
  std::string prefix_;  // "/v1.41" once negotiated
};

// The X-Registry-Auth header value for a registry login: base64url of
// {"username","password","serveraddress"}.
std::string RegistryAuthHeader(const std::string& username, const std::string& password,
                               const std::string& server);

// The registry host an image reference pulls from: "docker.io" for "rust:1", "ghcr.io" for
// "ghcr.io/a/b:1", "127.0.0.1:5000" for "127.0.0.1:5000/x".
std::string ImageRegistryHost(std::string_view reference);

}  // namespace raibid
