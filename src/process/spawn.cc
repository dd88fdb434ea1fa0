#include "process/spawn.h"

#include <fcntl.h>
#include <pthread.h>
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

// Closes every descriptor from 3 up except `keep` (at least 3). Only system calls: it runs in a
// forked child.
void CloseDescriptorsExcept(int keep) {
  const bool below = keep == 3 || close_range(3, keep - 1, 0) == 0;
  if (below && close_range(keep + 1, ~0U, 0) == 0) return;
  // No close_range (kernels before 5.9, some sandboxes): every possible descriptor, one by one.
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  for (int fd = 3; fd < static_cast<int>(limit.rlim_cur); ++fd) {
    if (fd != keep) close(fd);
  }
}

// dup2, except that a descriptor already in place loses close-on-exec (as posix_spawn's does).
bool MoveTo(int fd, int target) {
  if (fd == target) return fcntl(fd, F_SETFD, 0) == 0;
  return dup2(fd, target) == target;
}

// The forked child of SpawnForkExec: what posix_spawn's attributes and file actions do, in the
// same order, then exec. A failure is reported as its errno on `report_fd`. A child forked from a
// multithreaded process may only make async-signal-safe calls: it allocates nothing.
[[noreturn]] void ExecForkedChild(const SpawnSpec& spec, char* const* argv, char* const* envp,
                                  int report_fd) {
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &dfl, nullptr);  // KILL, STOP: EINVAL
  const int null_fd = open("/dev/null", O_RDONLY);
  bool ok = (!spec.own_process_group || setpgid(0, 0) == 0) && null_fd >= 0 && MoveTo(null_fd, 0) &&
            MoveTo(spec.stdout_fd, 1) && MoveTo(spec.stderr_fd, 2) &&
            (spec.cwd.empty() || chdir(spec.cwd.c_str()) == 0);
  if (ok) {
    CloseDescriptorsExcept(report_fd);
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    if (spec.search_path) {
      execvpe(argv[0], argv, envp);
    } else {
      execve(argv[0], argv, envp);
    }
  }
  const int err = errno;
  while (write(report_fd, &err, sizeof err) < 0 && errno == EINTR) {
  }
  _exit(127);
}

// Spawn by fork and exec. The child reports a failure through a close-on-exec pipe: end-of-file
// means it has exec'd. Slower than posix_spawn (fork copies the page tables), so only used where
// posix_spawn cannot report a failed exec.
int SpawnForkExec(const SpawnSpec& spec, char* const* argv, char* const* envp, pid_t& pid) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return errno;
  UniqueFd report_read(fds[0]), report_write(fds[1]);
  // Descriptors 0-2 are the child's stdin, stdout and stderr: the report must not be one of them.
  if (report_write.get() < 3)
    report_write = UniqueFd(fcntl(report_write.get(), F_DUPFD_CLOEXEC, 3));
  // No signal handler may run in the child before it has reset them all.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid = fork();
  if (pid == 0) ExecForkedChild(spec, argv, envp, report_write.get());
  const int fork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (pid < 0) return fork_errno;
  report_write.reset();
  int child_errno = 0;
  ssize_t n;
  while ((n = read(report_read.get(), &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
  }
  if (n != static_cast<ssize_t>(sizeof child_errno)) return 0;  // exec'd
  WaitExitCode(pid);
  return child_errno;
}

// The child could not exec under posix_spawn yet posix_spawn returned success: the child reports
// failures only through shared memory, and here its vfork-style clone did not share it.
SpawnMethod ProbeSpawnMethod() {
  char path[] = "/dev/null/raibid-spawn-probe";  // below a file: can never exist
  char* argv[] = {path, nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  if (posix_spawn(&pid, path, nullptr, nullptr, argv, envp) != 0) return SpawnMethod::kPosixSpawn;
  WaitExitCode(pid);
  return SpawnMethod::kForkExec;
}

}  // namespace

SpawnMethod DefaultSpawnMethod() {
  static const SpawnMethod method = ProbeSpawnMethod();
  return method;
}

Result<pid_t> Spawn(const SpawnSpec& spec, SpawnMethod method) {
  if (spec.argv.empty()) return Fail(ErrorKind::kInfrastructure, "Spawn: empty argv");
  std::vector<std::string> argv = spec.argv;
  std::vector<std::string> env = spec.env;
  auto c_argv = CStrings(argv);
  auto c_env = CStrings(env);
  pid_t pid = -1;
  int rc = 0;
  if (method == SpawnMethod::kForkExec) {
    rc = SpawnForkExec(spec, c_argv.data(), c_env.data(), pid);
  } else {
    const SpawnAttributes attributes(spec);
    // posix_spawn, not fork: glibc's vfork-style clone is safe in a multithreaded agent.
    const auto spawn = spec.search_path ? posix_spawnp : posix_spawn;
    rc = spawn(&pid, c_argv[0], attributes.actions(), attributes.attr(), c_argv.data(),
               c_env.data());
  }
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
