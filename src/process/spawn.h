// How every child of the agent starts and ends: the one place that calls posix_spawn and decodes a
// wait status. RunCommand (helpers such as git and tar) and Subprocess (a step's reaper) are both
// built on it, so a child of either gets the same clean slate: no blocked signals, default
// dispositions, stdin from /dev/null, and no descriptor of the agent beyond 0-2.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <filesystem>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"

namespace raibid {

struct SpawnSpec {
  std::vector<std::string> argv;  // non-empty
  bool search_path = true;        // argv[0] looked up in the agent's PATH; false: used as a path
  std::filesystem::path cwd;      // empty: the agent's working directory
  std::vector<std::string> env;   // the complete environment, as "K=V"
  int stdout_fd = -1;             // becomes the child's stdout; the agent keeps its copy
  int stderr_fd = -1;             // becomes the child's stderr
  bool own_process_group = true;  // the child leads a new process group (pgid == pid)
  std::string name;               // names the child in errors; empty: argv[0]
};

// How Spawn starts a child. Both give the child the same state and report the same errors.
enum class SpawnMethod {
  kPosixSpawn,  // glibc's posix_spawn: a vfork-style clone, the fast way
  kForkExec,    // fork and exec; the child reports a failed chdir or exec through a pipe
};

// kPosixSpawn where posix_spawn reports a child that cannot exec, else kForkExec. glibc's
// posix_spawn learns of the failure through memory it shares with its vfork-style child; where
// that clone runs as a plain fork (qemu-user emulation), posix_spawn succeeds and the child just
// exits 127. Found out once per process, by spawning a path that cannot exist.
SpawnMethod DefaultSpawnMethod();

// Starts the child. Every descriptor of the agent other than the two given is closed in the child,
// whether or not it was opened with O_CLOEXEC (a library's socket must not reach a child).
// Fails (kInfrastructure, "cannot start <name>: <reason>") when the child cannot be started:
// missing program or working directory, no memory or processes left. The caller must reap the
// returned pid (WaitExitCode).
Result<pid_t> Spawn(const SpawnSpec& spec, SpawnMethod method);
inline Result<pid_t> Spawn(const SpawnSpec& spec) { return Spawn(spec, DefaultSpawnMethod()); }

// A wait status as a shell reports it: the exit code, or 128+N when killed by signal N.
inline int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 255;
}

// What a reaped child and the descendants it reaped used (wait4's rusage): CPU time, user plus
// system, and the largest resident set any one of those processes reached (not their sum).
struct ProcessUsage {
  double cpu_seconds = 0;
  uint64_t max_rss_bytes = 0;
};

// Blocks until `pid`, a child of this process, exits; reaps it (retrying on EINTR) and returns
// ExitCodeOf its status; `usage`, when given, gets what it used.
int WaitExitCode(pid_t pid, ProcessUsage* usage = nullptr);

struct Pipe {
  UniqueFd read, write;
};

// A pipe whose ends close on exec (a child gets one only as its stdout or stderr).
Result<Pipe> MakePipe();

}  // namespace raibid
