// The step reaper: a small process between the agent and a step's shell. It makes itself a child
// subreaper, so every descendant of the step that is orphaned (double forks, `setsid` daemons)
// is re-parented to it, and it ends that whole tree when the step's shell exits, when it is told
// to stop (SIGTERM), or when the agent dies. Invoked as `<agent-binary> __reaper -- argv...`.
#pragma once

namespace raibid {

inline constexpr const char* kReaperArg = "__reaper";

// Entry point for the `__reaper` mode; argv as given to main. Returns the process exit code.
int RunReaperMain(int argc, char** argv);

}  // namespace raibid
