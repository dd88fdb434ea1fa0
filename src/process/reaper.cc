#include "process/reaper.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace raibid {
namespace {

constexpr int kUsageExit = 2;
constexpr int kCannotRunExit = 127;
constexpr int kStoppedExit = 128 + SIGTERM;

struct ReaperArgs {
  pid_t expected_parent = 0;  // 0: whoever is the parent at start-up
  char** command = nullptr;   // null-terminated, non-empty
};

bool ParseArgs(int argc, char** argv, ReaperArgs& args) {
  int i = 2;  // argv[1] is kReaperArg
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    std::string_view arg(argv[i]);
    if (!arg.starts_with("--parent=")) return false;
    args.expected_parent = static_cast<pid_t>(std::atol(argv[i] + 9));
  }
  if (i + 1 >= argc) return false;
  args.command = argv + i + 1;
  return true;
}

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

// Blocks the signals the reaper reacts to and returns a descriptor that reads them, so a signal
// can never arrive between checking for it and waiting for it.
int OpenSignalFd() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  return signalfd(-1, &set, SFD_CLOEXEC);
}

// The forked command: what it inherits from the reaper is undone, then it becomes `command`.
[[noreturn]] void ExecCommand(char** command) {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execvp(command[0], command);
  const int err = errno;
  std::fprintf(stderr, "raibid-agent: cannot run %s: %s\n", command[0], std::strerror(err));
  _exit(kCannotRunExit);
}

// Parent pid of `pid` from /proc/<pid>/stat, or -1 if it is gone. The command name in field 2
// may hold spaces and parentheses, so the fields are parsed after its last ')'.
pid_t ParentOf(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* f = std::fopen(path, "re");
  if (f == nullptr) return -1;
  char buf[1024];
  const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  const char* close = std::strrchr(buf, ')');
  int ppid = -1;
  char state;
  if (close == nullptr || std::sscanf(close + 1, " %c %d", &state, &ppid) != 2) return -1;
  return ppid;
}

// Every process whose chain of parents leads to this one, from a single pass over /proc.
std::vector<pid_t> Descendants() {
  std::unordered_multimap<pid_t, pid_t> children;
  if (DIR* proc = opendir("/proc")) {
    while (dirent* e = readdir(proc)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      const auto pid = static_cast<pid_t>(std::atol(e->d_name));
      const pid_t ppid = ParentOf(pid);
      if (ppid > 0) children.emplace(ppid, pid);
    }
    closedir(proc);
  }
  std::vector<pid_t> found;
  std::vector<pid_t> frontier{getpid()};
  while (!frontier.empty()) {
    const pid_t parent = frontier.back();
    frontier.pop_back();
    auto [begin, end] = children.equal_range(parent);
    for (auto it = begin; it != end; ++it) {
      found.push_back(it->second);
      frontier.push_back(it->second);
    }
  }
  return found;
}

// Kills and reaps until no child is left. Each round kills what /proc shows, then reaps at least
// one child; a process forked while /proc was being read is re-parented here when its killed
// parent dies and is caught by the next round.
void KillEverything() {
  // Every living descendant has a living ancestor that is our direct child (orphans re-parent
  // here), so no child at all means nothing is left: the common case skips the /proc walk.
  siginfo_t info{};
  if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD) return;
  for (;;) {
    for (pid_t pid : Descendants()) kill(pid, SIGKILL);
    int status;
    if (waitpid(-1, &status, 0) < 0 && errno == ECHILD) return;
    while (waitpid(-1, &status, WNOHANG) > 0) {
    }
  }
}

// Reaps children as they exit until the command itself exits (its exit code) or a stop signal
// arrives (kStoppedExit). Orphans re-parented here that exit early are reaped on the way.
int WaitForCommand(int sig_fd, pid_t command) {
  for (;;) {
    signalfd_siginfo info;
    const ssize_t n = read(sig_fd, &info, sizeof info);
    if (n != static_cast<ssize_t>(sizeof info)) {
      if (n < 0 && errno == EINTR) continue;
      return kStoppedExit;  // cannot watch signals any more: end the tree rather than leak it
    }
    if (info.ssi_signo != SIGCHLD) return kStoppedExit;
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == command) return ExitCodeOf(status);
    }
  }
}

}  // namespace

int RunReaperMain(int argc, char** argv) {
  ReaperArgs args;
  if (!ParseArgs(argc, argv, args)) {
    std::fprintf(stderr, "usage: %s %s [--parent=PID] -- command [args...]\n", argv[0],
                 kReaperArg);
    return kUsageExit;
  }
  const pid_t parent = args.expected_parent > 0 ? args.expected_parent : getppid();
  const int sig_fd = OpenSignalFd();
  if (sig_fd < 0) {
    std::fprintf(stderr, "raibid-agent: reaper signalfd: %s\n", std::strerror(errno));
    return kCannotRunExit;
  }
  prctl(PR_SET_CHILD_SUBREAPER, 1);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return kStoppedExit;  // the agent died before the signal was armed

  const pid_t command = fork();
  if (command < 0) {
    std::fprintf(stderr, "raibid-agent: reaper fork: %s\n", std::strerror(errno));
    return kCannotRunExit;
  }
  if (command == 0) ExecCommand(args.command);
  const int code = WaitForCommand(sig_fd, command);
  KillEverything();
  close(sig_fd);
  return code;
}

}  // namespace raibid
