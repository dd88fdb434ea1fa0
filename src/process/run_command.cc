#include "process/run_command.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <set>

#include "process/spawn.h"

extern char** environ;

namespace raibid {
namespace {

using Clock = std::chrono::steady_clock;

// Reads both pipes until they close or the deadline passes. Returns false on timeout.
bool Drain(int out_fd, int err_fd, const CommandSpec& spec, CommandResult& result) {
  const auto deadline = Clock::now() + spec.timeout;
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open = 2;
  char buf[65536];
  while (open > 0) {
    int wait_ms = -1;
    if (spec.timeout.count() > 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      wait_ms = static_cast<int>(left.count());
    }
    int n = poll(fds, 2, wait_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        fds[i].fd = -1;
        --open;
        continue;
      }
      size_t room = spec.max_output - std::min(spec.max_output, sinks[i]->size());
      sinks[i]->append(buf, std::min(room, static_cast<size_t>(got)));
    }
  }
  return true;
}

}  // namespace

std::vector<std::string> BuildEnvironment(const std::map<std::string, std::string>& set,
                                          const std::vector<std::string>& unset) {
  std::set<std::string> drop(unset.begin(), unset.end());
  for (const auto& [k, v] : set) drop.insert(k);
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    if (drop.contains(std::string(entry.substr(0, eq)))) continue;
    env.emplace_back(entry);
  }
  for (const auto& [k, v] : set) env.emplace_back(k).append("=").append(v);
  return env;
}

std::vector<std::string> FreshEnvironment(const std::map<std::string, std::string>& defaults,
                                          const std::vector<std::string>& passthrough,
                                          const std::map<std::string, std::string>& set) {
  std::map<std::string, std::string> env = defaults;
  for (const auto& name : passthrough) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): the agent never sets variables (no setenv/putenv)
    if (const char* value = std::getenv(name.c_str())) env[name] = value;
  }
  for (const auto& [k, v] : set) env[k] = v;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

Result<CommandResult> RunCommand(const CommandSpec& spec) {
  if (spec.argv.empty()) return Fail(ErrorKind::kInfrastructure, "RunCommand: empty argv");
  auto out = MakePipe();
  if (!out) return std::unexpected(out.error());
  auto err = MakePipe();
  if (!err) return std::unexpected(err.error());

  auto pid = Spawn({.argv = spec.argv,
                    .cwd = spec.cwd,
                    .env = BuildEnvironment(spec.env, spec.unset_env),
                    .stdout_fd = out->write.get(),
                    .stderr_fd = err->write.get()});
  if (!pid) return std::unexpected(pid.error());
  out->write.reset();
  err->write.reset();

  CommandResult result;
  if (!Drain(out->read.get(), err->read.get(), spec, result)) {
    result.timed_out = true;
    kill(-*pid, SIGKILL);
  }
  result.exit_code = WaitExitCode(*pid);
  return result;
}

}  // namespace raibid
