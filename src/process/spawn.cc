#include "process/spawn.h"

#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace raibid {
namespace {

// Pointers into `v` followed by a null, for posix_spawn's argv and envp. `v` must outlive them.
std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// What the child gets instead of what the agent's calling thread has: no blocked signals and
// default dispositions, descriptors 0-2 only.
class SpawnAttributes {
 public:
  explicit SpawnAttributes(const SpawnSpec& spec) {
    posix_spawnattr_init(&attr_);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr_, &none);
    posix_spawnattr_setsigdefault(&attr_, &all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (spec.own_process_group) {
      posix_spawnattr_setpgroup(&attr_, 0);
      flags |= POSIX_SPAWN_SETPGROUP;
    }
    posix_spawnattr_setflags(&attr_, flags);
    posix_spawn_file_actions_init(&actions_);
    posix_spawn_file_actions_addopen(&actions_, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions_, spec.stdout_fd, 1);
    posix_spawn_file_actions_adddup2(&actions_, spec.stderr_fd, 2);
    if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions_, spec.cwd.c_str());
    // Libraries open descriptors without O_CLOEXEC (hiredis' sockets); none may reach a child.
    posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;

  const posix_spawn_file_actions_t* actions() const { return &actions_; }
  const posix_spawnattr_t* attr() const { return &attr_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

}  // namespace

Result<pid_t> Spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) return Fail(ErrorKind::kInfrastructure, "Spawn: empty argv");
  std::vector<std::string> argv = spec.argv;
  std::vector<std::string> env = spec.env;
  auto c_argv = CStrings(argv);
  auto c_env = CStrings(env);
  const SpawnAttributes attributes(spec);
  pid_t pid = -1;
  // posix_spawn, not fork: glibc's vfork-style clone is safe in a multithreaded agent.
  const auto spawn = spec.search_path ? posix_spawnp : posix_spawn;
  const int rc =
      spawn(&pid, c_argv[0], attributes.actions(), attributes.attr(), c_argv.data(), c_env.data());
  if (rc != 0) {
    return std::unexpected(
        ErrnoError(rc, "cannot start " + (spec.name.empty() ? spec.argv[0] : spec.name)));
  }
  return pid;
}

int WaitExitCode(pid_t pid, ProcessUsage* usage) {
  int status = 0;
  rusage ru = {};
  while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
  }
  if (usage != nullptr) {
    usage->cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    usage->max_rss_bytes = static_cast<uint64_t>(ru.ru_maxrss) * 1024;  // Linux: KiB
  }
  return ExitCodeOf(status);
}

Result<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return std::unexpected(ErrnoError(errno, "pipe", ErrorKind::kInfrastructure, true));
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

}  // namespace raibid
