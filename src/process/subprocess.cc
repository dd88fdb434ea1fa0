#include "process/subprocess.h"

#include "process/spawn_util.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "process/reaper.h"

namespace raibid {
namespace {

// A bigger pipe buffer means fewer wake-ups when a step writes fast (1 MiB is the default
// /proc/sys/fs/pipe-max-size, so an unprivileged agent gets it too).
constexpr int kPipeBytes = 1 << 20;

Result<Pipe> MakeOutputPipe() {
  auto p = MakePipe();
  if (!p) return p;
  fcntl(p->read.get(), F_SETPIPE_SZ, kPipeBytes);  // best effort
  fcntl(p->read.get(), F_SETFL, O_NONBLOCK);  // the reading end only: the child's stays blocking
  return p;
}

std::vector<std::string> ReaperArgv(const SubprocessOptions& options) {
  std::vector<std::string> argv = {options.reaper_binary.string(), kReaperArg,
                                   "--parent=" + std::to_string(getpid()), "--"};
  argv.insert(argv.end(), options.argv.begin(), options.argv.end());
  return argv;
}

// Spawn attributes: a new process group led by the reaper, no blocked signals and default
// dispositions, whatever the agent's threads had; descriptors 0-2 only.
struct SpawnAttributes {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;

  SpawnAttributes(const SubprocessOptions& options, int out_fd, int err_fd) {
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
    if (!options.cwd.empty()) {
      posix_spawn_file_actions_addchdir_np(&actions, options.cwd.c_str());
    }
    // A descriptor some library opened without O_CLOEXEC (a Redis socket, say) must not reach
    // the step's processes.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

Result<Subprocess> Subprocess::Start(const SubprocessOptions& options) {
  if (options.argv.empty()) return Fail(ErrorKind::kInfrastructure, "Subprocess: empty argv");
  auto out = MakeOutputPipe();
  if (!out) return std::unexpected(out.error());
  auto err = MakeOutputPipe();
  if (!err) return std::unexpected(err.error());

  std::vector<std::string> argv = ReaperArgv(options);
  std::vector<std::string> env = options.env;
  auto c_argv = CStrings(argv);
  auto c_env = CStrings(env);
  SpawnAttributes spawn(options, out->write.get(), err->write.get());
  pid_t pid = -1;
  // posix_spawn, not fork: glibc's vfork-style clone is safe in a multithreaded agent.
  const int rc =
      posix_spawn(&pid, c_argv[0], &spawn.actions, &spawn.attr, c_argv.data(), c_env.data());
  if (rc != 0) {
    std::string what = "cannot start " + options.argv[0];
    if (!options.cwd.empty()) what += " in " + options.cwd.string();
    return Fail(ErrorKind::kInfrastructure, what + ": " + ErrnoText(rc));
  }
  // The child is ours and not yet reaped, so its pid cannot have been reused: pidfd_open is safe.
  // (glibc 2.36's <sys/pidfd.h> lacks extern "C", hence the raw system call.)
  UniqueFd exit_fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  return Subprocess(pid, std::move(out->read), std::move(err->read), std::move(exit_fd));
}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    if (running()) {
      Terminate();
      Wait();
    }
    pid_ = std::move(other.pid_);
    out_ = std::move(other.out_);
    err_ = std::move(other.err_);
    exit_ = std::move(other.exit_);
    exit_code_ = other.exit_code_;
  }
  return *this;
}

Subprocess::~Subprocess() {
  if (!running()) return;
  Terminate();
  Wait();
}

bool Subprocess::WaitExitFor(std::chrono::milliseconds timeout) const {
  const auto end = std::chrono::steady_clock::now() + timeout;
  if (!exit_.valid()) {  // no pidfd (kernel before 5.3): look without reaping, every 2 ms
    siginfo_t info{};
    while (waitid(P_PID, pid_.get(), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == 0 &&
           std::chrono::steady_clock::now() < end) {
      usleep(2000);
    }
    return info.si_pid != 0;
  }
  pollfd p{exit_.get(), POLLIN, 0};
  for (;;) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    const int n = poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (n > 0) return true;
    if (n == 0 || errno != EINTR) return false;
  }
}

void Subprocess::Terminate(std::chrono::milliseconds grace) {
  if (!running()) return;
  kill(pid_.get(), SIGTERM);
  WaitExitFor(grace);
  // Not yet reaped, so the group id still names our group: this can only hit the step's own
  // processes, mainly useful if the reaper itself was killed before it could do its work.
  kill(-pid_.get(), SIGKILL);
}

int Subprocess::Wait() {
  if (!running()) return exit_code_;
  int status = 0;
  while (waitpid(pid_.get(), &status, 0) < 0 && errno == EINTR) {
  }
  pid_.release();
  exit_.reset();
  exit_code_ = ExitCodeOf(status);
  return exit_code_;
}

}  // namespace raibid
