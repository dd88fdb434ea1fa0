// Runs a short-lived helper command (git, mostly) to completion and collects its output.
// The command runs in its own process group with stdin from /dev/null; nothing passes through a
// shell, so arguments are never re-parsed. Thread-safe: no shared state.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/error.h"

namespace raibid {

struct CommandSpec {
  std::vector<std::string> argv;           // argv[0] is looked up in PATH
  std::filesystem::path cwd;               // empty: the agent's working directory
  std::map<std::string, std::string> env;  // set on top of the agent's environment
  std::vector<std::string> unset_env;      // removed from the inherited environment
  std::chrono::milliseconds timeout{0};    // 0: none; past it the process group is killed
  size_t max_output = 4 << 20;             // bytes kept of each of stdout and stderr
};

struct CommandResult {
  int exit_code = 0;  // 128 + signal when killed by a signal
  bool timed_out = false;
  std::string out;
  std::string err;

  bool ok() const { return exit_code == 0 && !timed_out; }
};

// Fails only when the command could not be started (missing binary, fork failure); a command that
// ran and exited non-zero is a successful Result with that exit code.
Result<CommandResult> RunCommand(const CommandSpec& spec);

// The environment of this process with `set` applied and `unset` removed, as "K=V" strings.
std::vector<std::string> BuildEnvironment(const std::map<std::string, std::string>& set,
                                          const std::vector<std::string>& unset);

// A fresh environment, as "K=V" strings: `defaults`, then the variables of this process named in
// `passthrough` (those it has), then `set`, each replacing what came before. Nothing else of this
// process's environment is in it.
std::vector<std::string> FreshEnvironment(const std::map<std::string, std::string>& defaults,
                                          const std::vector<std::string>& passthrough,
                                          const std::map<std::string, std::string>& set);

}  // namespace raibid
