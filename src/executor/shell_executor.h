// The `shell` executor: each step's script runs as a host process tree under the reaper
// (process/reaper.h), as `bash -e -o pipefail -c <script>` (or `sh -e -c <script>` where there is
// no bash), in the step's workdir, with the agent's environment plus the step's, stdin from
// /dev/null.
//
// Output is forwarded to the sink as it is read (chunks of up to 64 KiB, each pipe's bytes in
// order, stdout as LogFd::kOut and stderr as LogFd::kErr); the pipes are always drained, so
// limiting what is kept is the sink's business. The executor adds `sys` lines, each ending in
// '\n': "$ <first line of the script>" before the step, "step <name> exited with code N (in
// X.XXs)" after it, the soft-timeout warning, and the reason when it kills the step.
//
// Thread-safety: RunStep may run on several threads at once (one step each). The thread calling
// RunStep must not end while it runs (true of any caller, since RunStep blocks).
#pragma once

#include <filesystem>

#include "executor/executor.h"

namespace raibid {

class ShellExecutor final : public Executor {
 public:
  // `reaper_binary`: a program whose main() dispatches `__reaper` (the agent's own binary).
  // `shell`: the interpreter; scripts get `-e`, and `-o pipefail` too when it is bash.
  explicit ShellExecutor(std::filesystem::path reaper_binary,
                         std::filesystem::path shell = DefaultShell());

  // Outcome: kSucceeded (exit 0), kFailed (exit_code = the script's, 128+N if killed by signal
  // N), kTimedOut (the job's hard deadline or the step's timeout passed: the tree is killed),
  // kCancelled (`stop` was requested: the tree is killed), kError (could not start the step,
  // e.g. missing workdir). exit_code is -1 unless the script ended by itself.
  StepOutcome RunStep(const StepSpec& step, LogSink& sink, JobDeadline& deadline,
                      const StopSource& stop);
  // A session that runs each step with RunStep; steps run as the agent's user, on the host.
  Result<std::unique_ptr<JobSession>> Begin(const JobEnvironment& job, LogSink& sink,
                                            const StopSource& stop) override;

  // bash found in the agent's PATH, else /bin/sh.
  static std::filesystem::path DefaultShell();

 private:
  std::filesystem::path reaper_binary_;
  std::filesystem::path shell_;
};

}  // namespace raibid
