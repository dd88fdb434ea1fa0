// The step reaper: a small process between the agent and a step's shell. It makes itself a child
// subreaper, so every descendant of the step that is orphaned (double forks, `setsid` daemons)
// is re-parented to it, and it ends that whole tree when the step's shell exits, when it is told
// to stop (SIGTERM, SIGINT, SIGHUP), or when the agent dies (parent-death signal).
//
// Where the kernel refuses to make it a subreaper (qemu-user emulation, kernels before 3.4, some
// sandboxes), orphans are re-parented to init instead. The reaper then adds RAIBID_REAPER_MARK,
// with a value of its own, to the command's environment, and ends every process whose environment
// holds it as well: only a descendant that clears or changes its environment and is orphaned
// escapes. `--without-subreaper` makes it act so where it could be a subreaper (for tests).
//
// Invoked as `<agent-binary> __reaper [--parent=PID] [--user=UID:GID] -- argv...`. argv[0] is
// looked up in the PATH of the reaper's environment, which the command inherits unchanged.
// `--parent` names the process expected to be the reaper's parent: if the reaper finds another
// parent once its parent-death signal is armed, the agent died before that and the command is
// never started. Without it the parent seen at start-up is the expected one. `--user` runs the
// command as that user and group with no supplementary groups (the reaper must be root for it);
// the reaper itself keeps its own user, so it can still kill the command's whole tree. When the
// switch fails the command is never started (exit 127, a message on stderr).
//
// Exit code: the command's exit code; 128+N if the command was killed by signal N; 128+SIGTERM
// when stopped by a signal; 127 when the command cannot be started (with a message on stderr);
// 2 for a malformed command line. When the reaper exits, no descendant of it is alive: each one
// has been killed with SIGKILL and reaped.
//
// Note for the spawner: the parent-death signal fires when the *thread* that spawned the reaper
// ends, so spawn it from a thread that outlives it.
#pragma once

namespace raibid {

inline constexpr const char* kReaperArg = "__reaper";

// Entry point for the `__reaper` mode; argv as given to main. Returns the process exit code.
int RunReaperMain(int argc, char** argv);

}  // namespace raibid
