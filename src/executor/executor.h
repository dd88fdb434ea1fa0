// The seam between the runner and whatever runs a step. `shell` runs steps as host processes;
// a `docker` executor (later) runs them in a container. The runner does not know which it has.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "util/deadline.h"
#include "util/error.h"
#include "util/log_sink.h"
#include "util/stop_token.h"

namespace raibid {

struct StepSpec {
  std::string name;
  std::string script;                      // one shell script; multi-line commands run whole
  std::filesystem::path workdir;           // the job's workspace
  std::map<std::string, std::string> env;  // contract variables plus the job's and pipeline's
  std::optional<Millis> step_timeout;      // per-step `timeout_minutes`, on top of the job's
};

enum class StepResult { kSucceeded, kFailed, kTimedOut, kCancelled, kError };

struct StepOutcome {
  StepResult result = StepResult::kError;
  int exit_code = -1;    // the script's exit code; 128+N when killed by signal N; -1 if none
  std::string message;   // for anything but kSucceeded: why, in words for the job's status
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs one step to its end. Output goes to `sink` as it arrives; `deadline` is the job's budget
  // (the executor writes the soft-timeout warning to the sink when Check says kExtended);
  // `stop` ends the step early (cancel, shutdown). When this returns, no process of the step is
  // alive.
  virtual StepOutcome RunStep(const StepSpec& step, LogSink& sink, JobDeadline& deadline,
                              const StopSource& stop) = 0;
};

}  // namespace raibid
