#include "process/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "process/reaper.h"
#include "process/spawn.h"

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
                                   "--parent=" + std::to_string(getpid())};
  if (options.user) {
    argv.push_back("--user=" + std::to_string(options.user->uid) + ":" +
                   std::to_string(options.user->gid));
  }
  argv.push_back("--");
  argv.insert(argv.end(), options.argv.begin(), options.argv.end());
  return argv;
}

}  // namespace

Result<Subprocess> Subprocess::Start(const SubprocessOptions& options) {
  if (options.argv.empty()) return Fail(ErrorKind::kInfrastructure, "Subprocess: empty argv");
  auto out = MakeOutputPipe();
  if (!out) return std::unexpected(out.error());
  auto err = MakeOutputPipe();
  if (!err) return std::unexpected(err.error());

  std::string name = options.argv[0];
  if (!options.cwd.empty()) name += " in " + options.cwd.string();
  auto pid = Spawn({.argv = ReaperArgv(options),
                    .search_path = false,
                    .cwd = options.cwd,
                    .env = options.env,
                    .stdout_fd = out->write.get(),
                    .stderr_fd = err->write.get(),
                    .name = std::move(name)});
  if (!pid) return std::unexpected(pid.error());
  // The child is ours and not yet reaped, so its pid cannot have been reused: pidfd_open is safe.
  // (glibc 2.36's <sys/pidfd.h> lacks extern "C", hence the raw system call.)
  UniqueFd exit_fd(static_cast<int>(syscall(SYS_pidfd_open, *pid, 0)));
  return Subprocess(*pid, std::move(out->read), std::move(err->read), std::move(exit_fd));
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
  exit_code_ = WaitExitCode(pid_.release(), &usage_);
  exit_.reset();
  return exit_code_;
}

}  // namespace raibid
