#include "executor/shell_executor.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include "executor/command_echo.h"
#include "executor/step_report.h"
#include "process/run_command.h"
#include "process/subprocess.h"

namespace raibid {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr size_t kReadBytes = 64 << 10;
// How often the loop looks at the stop request when nothing else wakes it.
constexpr Millis kStopTick{100};
// After the reaper exits, everything it ran is dead, so its pipes close at once; if something
// still holds them after this long it is not the step's, and the step is over anyway.
constexpr Millis kDrainAfterExit{1000};
// After killing the tree, how long to keep collecting what the step wrote before it died.
constexpr Millis kDrainAfterKill{500};

// Under bash the script runs through BashEchoProgram (its lines echoed as they run), with the
// shell's own name as $0, as `bash -c SCRIPT` has it.
std::vector<std::string> ShellArgv(const std::filesystem::path& shell, const std::string& script) {
  if (shell.filename() == "bash") {
    return {shell.string(),    "-e",           "-o",  "pipefail", "-c",
            BashEchoProgram(), shell.string(), script};
  }
  return {shell.string(), "-e", "-c", script};
}

// Forwards a subprocess's stdout and stderr to the sink as they are read, and notices when the
// reaper exits.
class OutputPump {
 public:
  OutputPump(const Subprocess& proc, LogSink& sink, std::string_view step)
      : fds_{{proc.out_fd(), POLLIN, 0}, {proc.err_fd(), POLLIN, 0}, {proc.exit_fd(), POLLIN, 0}},
        sink_(sink),
        step_(step),
        buf_(kReadBytes) {}

  // Waits up to `timeout` for output or the reaper's exit; forwards one read of each ready pipe.
  void PumpOnce(Millis timeout) {
    const int n = poll(fds_, 3, static_cast<int>(std::max<Millis::rep>(timeout.count(), 0)));
    if (n <= 0) return;
    for (int i = 0; i < 2; ++i) {
      if (fds_[i].revents != 0) ReadFrom(i);
    }
    if (fds_[2].revents != 0) {
      fds_[2].fd = -1;
      drain_until_ = SteadyClock::now() + kDrainAfterExit;
    }
  }

  bool pipes_closed() const { return fds_[0].fd < 0 && fds_[1].fd < 0; }
  bool done() const {
    return pipes_closed() || (drain_until_ && SteadyClock::now() >= *drain_until_);
  }

 private:
  void ReadFrom(int i) {
    const ssize_t got = read(fds_[i].fd, buf_.data(), buf_.size());
    if (got > 0) {
      sink_.Write(step_, i == 0 ? LogFd::kOut : LogFd::kErr,
                  std::string_view(buf_.data(), static_cast<size_t>(got)));
    } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
      fds_[i].fd = -1;  // end of file; the Subprocess owns and closes the descriptor
    }
  }

  pollfd fds_[3];
  LogSink& sink_;
  std::string_view step_;
  std::vector<char> buf_;
  std::optional<SteadyTime> drain_until_;
};

// Forwards output until the step's tree has exited, or a timeout or stop request ends it first.
StepEnding PumpUntilEnd(OutputPump& pump, StepClock& clock) {
  while (!pump.done()) {
    if (auto ending = clock.Check()) return *ending;
    pump.PumpOnce(clock.UntilNextCheck(kStopTick));
  }
  return StepEnding::kExited;
}

// What the step's output still held when its tree was killed.
void DrainAfterKill(OutputPump& pump) {
  const SteadyTime end = SteadyClock::now() + kDrainAfterKill;
  for (SteadyTime now = SteadyClock::now(); !pump.pipes_closed() && now < end;
       now = SteadyClock::now()) {
    pump.PumpOnce(std::chrono::ceil<Millis>(end - now));
  }
}

}  // namespace

ShellExecutor::ShellExecutor(std::filesystem::path reaper_binary, ShellOptions options)
    : reaper_binary_(std::move(reaper_binary)), options_(std::move(options)) {
  if (options_.shell.empty()) options_.shell = DefaultShell();
}

std::filesystem::path ShellExecutor::DefaultShell() {
  // NOLINTNEXTLINE(concurrency-mt-unsafe): the agent never sets variables (no setenv/putenv)
  const char* path = std::getenv("PATH");
  std::string_view dirs(path != nullptr ? path : "/usr/bin:/bin");
  while (!dirs.empty()) {
    const size_t colon = dirs.find(':');
    const std::filesystem::path candidate = std::filesystem::path(dirs.substr(0, colon)) / "bash";
    if (candidate.is_absolute() && access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return "/bin/sh";
}

StepOutcome ShellExecutor::RunStep(const StepSpec& step, LogSink& sink, JobDeadline& deadline,
                                   const StopSource& stop, const std::filesystem::path& home,
                                   const std::filesystem::path& tmp) {
  const SteadyTime start = SteadyClock::now();
  WriteSys(sink, step.name, StepStartLine(step));
  std::map<std::string, std::string> defaults;
  if (!home.empty()) defaults["HOME"] = home.string();
  if (!tmp.empty()) defaults["TMPDIR"] = tmp.string();
  auto proc =
      Subprocess::Start({.reaper_binary = reaper_binary_,
                         .argv = ShellArgv(options_.shell, step.script),
                         .cwd = step.workdir,
                         .env = FreshEnvironment(defaults, options_.env_passthrough, step.env),
                         .user = options_.user});
  if (!proc) {
    StepOutcome failed{StepResult::kError, -1,
                       "step '" + step.name + "' could not start: " + proc.error().message};
    WriteSys(sink, step.name, failed.message);
    sink.Flush();
    return failed;
  }
  CommandEcho echo(sink, step.script);
  OutputPump pump(*proc, echo, step.name);
  StepClock clock(step, deadline, stop, sink, start);
  const StepEnding ending = PumpUntilEnd(pump, clock);
  if (ending != StepEnding::kExited || !pump.pipes_closed()) {
    proc->Terminate();
    DrainAfterKill(pump);
  }
  const int exit_code = proc->Wait();
  echo.Flush();
  const std::string where = echo.LastLine();
  StepOutcome outcome = MakeOutcome(ending, step, deadline, stop, exit_code, where);
  outcome.cpu_seconds = proc->usage().cpu_seconds;
  outcome.peak_memory_bytes = proc->usage().max_rss_bytes;
  WriteSys(sink, step.name, StepEndLine(ending, step, outcome, SteadyClock::now() - start, where));
  sink.Flush();
  return outcome;
}

namespace {

class ShellSession final : public JobSession {
 public:
  ShellSession(ShellExecutor& executor, std::filesystem::path home, std::filesystem::path tmp)
      : executor_(executor), home_(std::move(home)), tmp_(std::move(tmp)) {}
  StepOutcome RunStep(const StepSpec& step, LogSink& sink, JobDeadline& deadline,
                      const StopSource& stop) override {
    return executor_.RunStep(step, sink, deadline, stop, home_, tmp_);
  }

 private:
  ShellExecutor& executor_;
  std::filesystem::path home_, tmp_;
};

// `root` and everything below it become uid:gid. Symbolic links are changed themselves, never
// followed: a step of an earlier job could have planted one pointing at the agent's files.
Status ChownTree(const std::filesystem::path& root, UserIds ids) {
  if (lchown(root.c_str(), ids.uid, ids.gid) != 0)
    return std::unexpected(ErrnoError(errno, "chown " + root.string()));
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (lchown(it->path().c_str(), ids.uid, ids.gid) != 0) {
      return std::unexpected(ErrnoError(errno, "chown " + it->path().string()));
    }
  }
  if (ec) return std::unexpected(ErrnoError(ec, "chown " + root.string()));
  return {};
}

}  // namespace

Result<std::unique_ptr<JobSession>> ShellExecutor::Begin(const JobEnvironment& job, LogSink& sink,
                                                         const StopSource&) {
  // Services and per-step images are containers; steps on the host have neither.
  if (!job.services.empty()) {
    return Fail(ErrorKind::kInvalidPipeline,
                "services need the docker executor (agent.executor: docker); this agent runs "
                "steps with the shell executor");
  }
  if (!job.step_images.empty()) {
    return Fail(ErrorKind::kInvalidPipeline,
                "a step's image (" + job.step_images.front() +
                    ") needs the docker executor (agent.executor: docker); this agent runs steps "
                    "with the shell executor");
  }
  for (const auto& dir : {job.cache_home, job.tmp_dir}) {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    if (ec) return std::unexpected(ErrnoError(ec, "cannot create " + dir.string()));
  }
  std::error_code ec;
  if (options_.user) {
    for (const auto& dir : {job.workspace, job.cache_home, job.auth_dir, job.tmp_dir}) {
      if (dir.empty() || !std::filesystem::exists(dir, ec)) continue;
      if (auto s = ChownTree(dir, *options_.user); !s) return std::unexpected(s.error());
    }
    WriteSys(sink, "",
             "steps run as " + std::to_string(options_.user->uid) + ":" +
                 std::to_string(options_.user->gid));
  }
  return std::make_unique<ShellSession>(*this, job.cache_home, job.tmp_dir);
}

}  // namespace raibid
