// A long-running child whose output the caller streams: a pipeline step. The command runs under
// the reaper (process/reaper.h), so ending the Subprocess ends every process the command started,
// including daemons that left its process group or session.
//
// The reaper is started in a new process group that the command shares, with stdin from
// /dev/null, stdout and stderr on two separate pipes, the given working directory and exactly the
// given environment (plus the reaper's RAIBID_REAPER_MARK where it cannot be a subreaper). The
// object is passive: the caller polls out_fd(), err_fd() and exit_fd() in its own loop, the way
// ninja's SubprocessSet does. Not thread-safe; the thread that calls Start must outlive the child
// (the reaper's parent-death signal is tied to that thread).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "process/spawn.h"
#include "process/user_ids.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace raibid {

struct SubprocessOptions {
  std::filesystem::path reaper_binary;  // a program whose main() dispatches `__reaper`
  std::vector<std::string> argv;        // argv[0] is looked up in the PATH of `env`
  std::filesystem::path cwd;            // empty: the caller's working directory
  std::vector<std::string> env;         // the complete environment, as "K=V"
  // The command (not the reaper) runs as this user and group; none: the caller's. Needs root.
  std::optional<UserIds> user;
};

class Subprocess {
 public:
  // Fails (kInfrastructure) when the reaper cannot be started: missing working directory, reaper
  // binary or descriptors. A command that cannot be executed is not a failure here: the reaper
  // says why on stderr and exits 127.
  static Result<Subprocess> Start(const SubprocessOptions& options);

  Subprocess(Subprocess&& other) noexcept = default;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // A child not yet waited for is terminated and reaped.
  ~Subprocess();

  // Non-blocking read ends of the command's stdout and stderr. They reach end-of-file once the
  // reaper, and therefore every process of the tree, has exited.
  int out_fd() const { return out_.get(); }
  int err_fd() const { return err_.get(); }
  // Becomes readable (POLLIN) when the reaper has exited; -1 after Wait.
  int exit_fd() const { return exit_.get(); }
  pid_t pid() const { return pid_.get(); }
  bool running() const { return pid_.get() > 0; }

  // Ends the tree: SIGTERM to the reaper, which kills every descendant; once the reaper has
  // exited, or after `grace` if it has not, SIGKILL to the whole process group. Blocks for at
  // most `grace`. No-op after Wait.
  void Terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(500));

  // Reaps the reaper (retrying on EINTR) and returns its exit code: the command's exit code, or
  // 128+N for signal N. Returns the same code again when called after it has returned once.
  int Wait();
  // What the reaper and every process of the step used (the reaper reaps them all), once Wait
  // returned.
  const ProcessUsage& usage() const { return usage_; }

 private:
  // A pid that moves like a handle: a moved-from Subprocess owns no child.
  class Pid {
   public:
    explicit Pid(pid_t pid = -1) : pid_(pid) {}
    Pid(Pid&& o) noexcept : pid_(o.release()) {}
    Pid& operator=(Pid&& o) noexcept {
      pid_ = o.release();
      return *this;
    }
    pid_t get() const { return pid_; }
    pid_t release() {
      const pid_t p = pid_;
      pid_ = -1;
      return p;
    }

   private:
    pid_t pid_;
  };

  Subprocess(pid_t pid, UniqueFd out, UniqueFd err, UniqueFd exit)
      : pid_(pid), out_(std::move(out)), err_(std::move(err)), exit_(std::move(exit)) {}
  bool WaitExitFor(std::chrono::milliseconds timeout) const;

  Pid pid_;
  UniqueFd out_;
  UniqueFd err_;
  UniqueFd exit_;  // pidfd of the reaper
  int exit_code_ = -1;
  ProcessUsage usage_;
};

}  // namespace raibid
