// The seam between the runner and whatever runs a job's steps. `shell` runs steps as host
// processes; `docker` runs each job in a container of its own. The runner does not know which it
// has: it begins a session for the job, runs the steps through it, and ends it.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/deadline.h"
#include "util/error.h"
#include "util/log_sink.h"
#include "util/stop_token.h"

namespace raibid {

struct StepSpec {
  std::string name;
  std::string script;                      // one shell script; multi-line commands run whole
  std::filesystem::path workdir;           // the job's workspace
  std::map<std::string, std::string> env;  // docs/reference.md's, the job's, the pipeline's
  std::optional<Millis> step_timeout;      // per-step `timeout_minutes`, on top of the job's
  std::string image;                       // docker: the step's own image; empty: the job's
  // Nothing while the job is within its disk budget, else why not (runner/disk_budget.h): the
  // step is then killed and ends kError with ErrorKind::kDisk. Quick and thread-safe; unset:
  // no budget.
  std::function<std::optional<std::string>()> disk_exceeded;
};

// A pipeline's service (docker executor): a container beside the job's, in its network
// namespace, started before the first step and removed with the job.
struct ServiceSpec {
  std::string name;  // a host name: the steps reach the service as NAME:PORT and localhost:PORT
  std::string image;
  std::map<std::string, std::string> env;
  std::vector<std::string> command;  // empty: the image's own
  std::optional<int> ready_port;     // ready once this port takes a connection in the namespace
  std::string ready_command;         // or once this command exits 0 in the service
  int ready_timeout_seconds = 60;
};

enum class StepResult { kSucceeded, kFailed, kTimedOut, kCancelled, kError };

struct StepOutcome {
  StepResult result = StepResult::kError;
  int exit_code = -1;   // the script's exit code; 128+N when killed by signal N; -1 if none
  std::string message;  // for anything but kSucceeded: why, in words for the job's status
  // kError: what failed, for the job's error_kind (a service that exited: kService).
  ErrorKind error_kind = ErrorKind::kInfrastructure;
  // What the step's processes used, where the executor can tell (the shell executor, from the
  // reaper's rusage: CPU summed over every process, memory the largest single process's).
  std::optional<double> cpu_seconds;
  std::optional<uint64_t> peak_memory_bytes;
};

// What a job's steps run in. Host paths here (and in each StepSpec's workdir and env values) are
// the agent's; an executor that runs steps elsewhere maps them to where the steps see them.
struct JobEnvironment {
  std::string job_id;
  std::filesystem::path workspace;    // the checkout; steps start in it
  std::filesystem::path cache_home;   // "~" of cache.paths (RAIBID_CACHE_HOME); may not exist yet
  std::filesystem::path auth_dir;     // the registry login file for steps; empty: none
  std::filesystem::path tmp_dir;      // shell: the steps' TMPDIR (made here); empty: none
  std::string image;                  // docker: the image to run in
  std::string network = "none";       // docker: the pipeline's `network`
  std::string cpu, memory;            // docker: the pipeline's resource requests ("" = none)
  bool privileged = false;            // docker: the pipeline asks for a privileged container
  std::vector<std::string> volumes;   // docker: host mounts the pipeline asks for
  std::vector<ServiceSpec> services;  // docker: the pipeline's services
  std::vector<std::string> step_images;  // docker: the distinct images steps ask for
};

// One job's steps, run in order. Destroying the session ends everything the job started (the
// docker executor removes the job's container).
class JobSession {
 public:
  virtual ~JobSession() = default;
  // Runs one step to its end. Output goes to `sink` as it arrives; `deadline` is the job's budget
  // (the executor writes the soft-timeout warning to the sink when Check says kExtended);
  // `stop` ends the step early (cancel, shutdown). When this returns, no process of the step is
  // alive.
  virtual StepOutcome RunStep(const StepSpec& step, LogSink& sink, JobDeadline& deadline,
                              const StopSource& stop) = 0;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Prepares what the job's steps run in; progress goes to `sink` as `sys` lines. Errors:
  // kInvalidPipeline for what the job asked and this agent refuses (a network it does not
  // allow), kInfrastructure otherwise (retryable when trying again may help: an engine down).
  virtual Result<std::unique_ptr<JobSession>> Begin(const JobEnvironment& job, LogSink& sink,
                                                    const StopSource& stop) = 0;
  // Whether the executor can take jobs now (the docker executor's engine answers); for /readyz.
  virtual Status Ready() { return {}; }
};

}  // namespace raibid
