#include "process/reaper.h"

#include <dirent.h>
#include <grp.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "process/spawn.h"  // ExitCodeOf only: an inline function, so nothing more to link

namespace raibid {
namespace {

constexpr int kUsageExit = 2;
constexpr int kCannotRunExit = 127;
constexpr int kStoppedExit = 128 + SIGTERM;

// errno as text. Not util's ErrnoText: the static reaper program links nothing but this file.
const char* ErrorText(int err, char (&buf)[256]) {
  // GNU strerror_r returns the message pointer, which may or may not be buf.
  return strerror_r(err, buf, sizeof buf);
}

// The whole of `text` as a pid.
bool ParsePid(std::string_view text, pid_t& pid) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  return ec == std::errc() && end == text.data() + text.size();
}

// "UID:GID", both numbers.
bool ParseUser(std::string_view text, uid_t& uid, gid_t& gid) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view u = text.substr(0, colon), g = text.substr(colon + 1);
  const auto [u_end, u_ec] = std::from_chars(u.data(), u.data() + u.size(), uid);
  const auto [g_end, g_ec] = std::from_chars(g.data(), g.data() + g.size(), gid);
  return !u.empty() && !g.empty() && u_ec == std::errc() && u_end == u.data() + u.size() &&
         g_ec == std::errc() && g_end == g.data() + g.size();
}

// Where the kernel refuses PR_SET_CHILD_SUBREAPER (qemu-user emulation, kernels before 3.4, some
// sandboxes), an orphan is re-parented to init and the walk of parent pids no longer reaches it.
// The reaper then puts this variable, with a value of its own, into the command's environment and
// also counts as its descendant every process whose environment holds it: every descendant
// inherits it, unless it clears or changes its environment.
constexpr std::string_view kMarkVariable = "RAIBID_REAPER_MARK";

struct ReaperArgs {
  pid_t expected_parent = 0;       // 0: whoever is the parent at start-up
  bool without_subreaper = false;  // act as where PR_SET_CHILD_SUBREAPER is refused (for tests)
  bool switch_user = false;        // run the command as uid:gid
  uid_t uid = 0;
  gid_t gid = 0;
  char** command = nullptr;  // null-terminated, non-empty
};

// kMarkVariable with a value no other reaper's has: this reaper's pid and start time.
std::string MakeMark() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return std::string(kMarkVariable) + "=" + std::to_string(getpid()) + "." +
         std::to_string(now.tv_sec) + "." + std::to_string(now.tv_nsec);
}

bool ParseOption(std::string_view arg, ReaperArgs& args) {
  if (arg.starts_with("--parent=")) return ParsePid(arg.substr(9), args.expected_parent);
  if (arg == "--without-subreaper") return args.without_subreaper = true;
  if (arg.starts_with("--user=")) {
    args.switch_user = true;
    return ParseUser(arg.substr(7), args.uid, args.gid);
  }
  return false;
}

bool ParseArgs(int argc, char** argv, ReaperArgs& args) {
  int i = 2;  // argv[1] is kReaperArg
  for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
    if (!ParseOption(argv[i], args)) return false;
  }
  if (i + 1 >= argc) return false;
  args.command = argv + i + 1;
  return true;
}

// Blocks the signals the reaper reacts to and returns a descriptor that reads them, so a signal
// can never arrive between checking for it and waiting for it.
int OpenSignalFd() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : {SIGCHLD, SIGTERM, SIGINT, SIGHUP}) sigaddset(&set, sig);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return signalfd(-1, &set, SFD_CLOEXEC);
}

[[noreturn]] void CannotRun(const char* what, const char* name) {
  const int err = errno;
  char buf[256];
  std::fprintf(stderr, "raibid-agent: cannot %s %s: %s\n", what, name, ErrorText(err, buf));
  _exit(kCannotRunExit);
}

// Becomes uid:gid for good (setuid as root sets the real, effective and saved ids): groups
// first, then the group, then the user, since after setuid the others are no longer allowed. Any
// failure ends the child: running with the reaper's user instead is never an option.
void DropPrivileges(const ReaperArgs& args) {
  if (setgroups(0, nullptr) != 0) CannotRun("drop", "supplementary groups");
  if (setgid(args.gid) != 0) CannotRun("switch to", "the step user's group");
  if (setuid(args.uid) != 0) CannotRun("switch to", "the step user");
}

// The forked command: what it inherits from the reaper is undone, then it becomes `command`,
// with `mark` ("NAME=VALUE") added to its environment unless empty.
[[noreturn]] void ExecCommand(const ReaperArgs& args, const std::string& mark) {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  pthread_sigmask(SIG_SETMASK, &none, nullptr);
  if (args.switch_user) DropPrivileges(args);
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the reaper, and so this forked child, has one thread
  if (!mark.empty()) putenv(const_cast<char*>(mark.c_str()));
  execvp(args.command[0], args.command);
  CannotRun("run", args.command[0]);
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
  if (close == nullptr) return -1;
  // ") S 1234 ...": the state letter, then the parent pid, separated by blanks.
  constexpr std::string_view kBlanks = " \t\n";
  std::string_view rest(close + 1);
  const size_t state = rest.find_first_not_of(kBlanks);
  if (state == std::string_view::npos) return -1;
  rest.remove_prefix(state + 1);
  const size_t number = rest.find_first_not_of(kBlanks);
  if (number == std::string_view::npos) return -1;
  rest.remove_prefix(number);
  pid_t ppid = -1;
  if (std::from_chars(rest.data(), rest.data() + rest.size(), ppid).ec != std::errc()) return -1;
  return ppid;
}

// Whether the environment of `pid` holds `mark` ("NAME=VALUE") as one whole entry. A process that
// has exited (a zombie) has no environment any more.
bool HasMark(pid_t pid, const std::string& mark) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/environ", pid);
  FILE* f = std::fopen(path, "re");
  if (f == nullptr) return false;
  std::string env(1, '\0');  // so every entry, the first one too, follows a NUL
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) env.append(buf, n);
  std::fclose(f);
  env.push_back('\0');
  return env.find('\0' + mark + '\0') != std::string::npos;
}

// Every process whose chain of parents leads to this one, and every other one whose environment
// holds `mark` unless it is empty, from a single pass over /proc.
std::vector<pid_t> Descendants(const std::string& mark) {
  const pid_t self = getpid();
  std::unordered_multimap<pid_t, pid_t> children;
  std::vector<pid_t> found;
  if (DIR* proc = opendir("/proc")) {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): readdir races only on a shared DIR; this one is ours
    while (dirent* e = readdir(proc)) {
      pid_t pid = 0;
      if (!ParsePid(e->d_name, pid)) continue;  // not a process
      const pid_t ppid = ParentOf(pid);
      if (ppid > 0) children.emplace(ppid, pid);
      if (!mark.empty() && pid != self && HasMark(pid, mark)) found.push_back(pid);
    }
    closedir(proc);
  }
  std::vector<pid_t> frontier = found;  // a marked process' children count too, marked or not
  frontier.push_back(self);
  while (!frontier.empty()) {
    const pid_t parent = frontier.back();
    frontier.pop_back();
    auto [begin, end] = children.equal_range(parent);
    for (auto it = begin; it != end; ++it) {
      found.push_back(it->second);
      frontier.push_back(it->second);
    }
  }
  std::sort(found.begin(), found.end());  // a marked process may also be found by its parents
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

// Reaps every child that has exited, without blocking.
void ReapExited() {
  int status;
  while (waitpid(-1, &status, WNOHANG) > 0) {
  }
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
    for (pid_t pid : Descendants({})) kill(pid, SIGKILL);
    int status;
    if (waitpid(-1, &status, 0) < 0 && errno == ECHILD) return;
    ReapExited();
  }
}

// KillEverything without the subreaper: orphans are init's children, found by `mark`, and init
// reaps them. Each round kills the tree /proc shows, until a round finds nothing: a process that
// has died (a zombie) has neither a living parent here nor an environment. A process forked
// meanwhile carries the mark or has a marked parent, so a later round catches it.
void KillMarkedTree(const std::string& mark) {
  for (;;) {
    ReapExited();
    const std::vector<pid_t> tree = Descendants(mark);
    if (tree.empty()) return;
    for (pid_t pid : tree) kill(pid, SIGKILL);
    usleep(1000);  // SIGKILL takes effect at once; spare the CPU a rescan until it has
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
    std::fprintf(stderr, "usage: %s %s [--parent=PID] [--user=UID:GID] -- command [args...]\n",
                 argv[0], kReaperArg);
    return kUsageExit;
  }
  const pid_t parent = args.expected_parent > 0 ? args.expected_parent : getppid();
  const int sig_fd = OpenSignalFd();
  if (sig_fd < 0) {
    char buf[256];
    std::fprintf(stderr, "raibid-agent: reaper signalfd: %s\n", ErrorText(errno, buf));
    return kCannotRunExit;
  }
  const bool subreaper = !args.without_subreaper && prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
  const std::string mark = subreaper ? std::string() : MakeMark();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return kStoppedExit;  // the agent died before the signal was armed

  const pid_t command = fork();
  if (command < 0) {
    char buf[256];
    std::fprintf(stderr, "raibid-agent: reaper fork: %s\n", ErrorText(errno, buf));
    return kCannotRunExit;
  }
  if (command == 0) ExecCommand(args, mark);
  const int code = WaitForCommand(sig_fd, command);
  if (subreaper) {
    KillEverything();
  } else {
    KillMarkedTree(mark);
  }
  close(sig_fd);
  return code;
}

}  // namespace raibid
