// One service of a job on the docker executor: a container beside the job's, in the job's
// network namespace (the executor makes its ContainerSpec), started before the first step and
// watched until the job ends.
//
// - Start creates and starts the container, then follows its output into the job's log as the
//   step "service:NAME" (the sink masks secrets) on a thread of its own, keeping the last lines;
// - WaitReady waits by the service's `ready` rule: its port listening in the job's namespace, its
//   command exiting 0 in the service, or (without `ready`) the container running;
// - once the container stops by itself, Failure says so: its name, exit code and last lines;
// - the destructor stops watching and removes the container.
//
// Thread-safety: Failure may be called from any thread; the rest from one thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "engine/engine_client.h"
#include "executor/executor.h"
#include "util/mutex.h"
#include "util/stop_token.h"

namespace raibid {

class DockerService {
 public:
  using Connect = std::function<std::unique_ptr<EngineClient>()>;
  DockerService(ServiceSpec spec, Connect connect, LogSink& sink);
  ~DockerService();
  DockerService(const DockerService&) = delete;
  DockerService& operator=(const DockerService&) = delete;

  const ServiceSpec& spec() const { return spec_; }

  // Creates and starts the container of `container` and begins following its output. Errors
  // name the service.
  Status Start(const ContainerSpec& container);
  // Waits until the service is ready; `prober`: a running container in the job's namespace
  // with /bin/sh (the port probe runs there). Fails with kService naming the service, the
  // timeout or its exit code, and its last lines; kCancelled when `stop` ends the wait.
  Status WaitReady(const std::string& prober, const StopSource& stop);
  // Why the service ended before the job did ("service 'db' exited with code 1; ..."), or
  // nullopt while it runs.
  std::optional<std::string> Failure();

 private:
  void Watch();
  void Output(MuxStream stream, std::string_view bytes);
  bool Closing();
  // What the service printed last, at most a few lines, for messages.
  std::string LastLines();
  Result<bool> PortListening(EngineClient& client, const std::string& prober,
                             const std::function<bool()>& keep_going);
  Result<bool> CommandSucceeds(EngineClient& client, const std::function<bool()>& keep_going);
  std::string Exited(int exit_code, const std::string& when);

  const ServiceSpec spec_;
  const Connect connect_;
  LogSink& sink_;
  std::string id_;  // the container, once created
  std::thread watcher_;
  Mutex mu_;
  bool closing_ GUARDED_BY(mu_) = false;
  bool stopped_ GUARDED_BY(mu_) = false;  // the container stopped by itself
  int exit_code_ GUARDED_BY(mu_) = -1;
  std::string tail_ GUARDED_BY(mu_);      // the last bytes of its output
  bool watched_ GUARDED_BY(mu_) = false;  // the watcher is done
  CondVar done_;
};

}  // namespace raibid
