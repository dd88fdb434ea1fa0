// The `shell` executor: each step's script runs as a host process tree under the reaper
// (process/reaper.h), as `bash -e -o pipefail -c <script>` (or `sh -e -c <script>` where there is
// no bash), in the step's workdir, stdin from /dev/null, with a fresh environment: the variables of
// the agent named in the passthrough list (those it has), then the step's (StepSpec::env), and
// nothing else of the agent's environment. With a user set, the steps run as that user and
// group, and a job's workspace, cache home and registry auth directory become theirs when the job
// begins; otherwise they run as the agent's user and can read whatever it can (its configuration,
// its token files): the shell executor is for trusted code.
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
#include <optional>
#include <string>
#include <vector>

#include "executor/executor.h"
#include "process/user_ids.h"

namespace raibid {

struct ShellOptions {
  // The agent's variables a step gets (agent.shell.env_passthrough).
  std::vector<std::string> env_passthrough = {"PATH", "LANG", "LC_ALL", "TZ", "TERM"};
  // Steps run as this user and group (agent.shell.user; the agent must be root); none: the
  // agent's own.
  std::optional<UserIds> user;
  // The interpreter; scripts get `-e`, and `-o pipefail` too when it is bash. Empty:
  // DefaultShell().
  std::filesystem::path shell;
};

class ShellExecutor final : public Executor {
 public:
  // `reaper_binary`: a program whose main() dispatches `__reaper` (the agent's own binary).
  explicit ShellExecutor(std::filesystem::path reaper_binary, ShellOptions options = {});

  // Outcome: kSucceeded (exit 0), kFailed (exit_code = the script's, 128+N if killed by signal
  // N), kTimedOut (the job's hard deadline or the step's timeout passed: the tree is killed),
  // kCancelled (`stop` was requested: the tree is killed), kError (could not start the step,
  // e.g. missing workdir), also with ErrorKind::kDisk when StepSpec::disk_exceeded ended it.
  // exit_code is -1 unless the script ended by itself. `home`, `tmp`: the step's HOME and
  // TMPDIR unless the passthrough list or the step's env gives them; empty: none.
  StepOutcome RunStep(const StepSpec& step, LogSink& sink, JobDeadline& deadline,
                      const StopSource& stop, const std::filesystem::path& home = {},
                      const std::filesystem::path& tmp = {});
  // A session that runs each step with RunStep, HOME being the job's cache home and TMPDIR its
  // tmp_dir (both made here). With a user, the job's directories are given to it first; failing
  // that is kInfrastructure.
  Result<std::unique_ptr<JobSession>> Begin(const JobEnvironment& job, LogSink& sink,
                                            const StopSource& stop) override;

  // bash found in the agent's PATH, else /bin/sh.
  static std::filesystem::path DefaultShell();

 private:
  std::filesystem::path reaper_binary_;
  ShellOptions options_;
};

}  // namespace raibid
