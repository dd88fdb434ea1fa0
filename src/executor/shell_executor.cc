#include "executor/shell_executor.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <vector>

#include "process/run_command.h"
#include "process/subprocess.h"

namespace raibid {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kReadBytes = 64 << 10;
// How often the loop looks at the stop request when nothing else wakes it.
constexpr Millis kStopTick{100};
// After the reaper exits, everything it ran is dead, so its pipes close at once; if something
// still holds them after this long it is not the step's, and the step is over anyway.
constexpr Millis kDrainAfterExit{1000};
// After killing the tree, how long to keep collecting what the step wrote before it died.
constexpr Millis kDrainAfterKill{500};

enum class Ending { kExited, kJobTimeout, kStepTimeout, kStopped };

// "250ms", "45s", "1.5s", "30m", "1h30m", "2m0.5s".
std::string FormatDuration(Millis d) {
  const auto ms = d.count();
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::string out;
  if (ms >= 3600000) out += std::to_string(ms / 3600000) + "h";
  if (ms % 3600000 >= 60000) out += std::to_string(ms % 3600000 / 60000) + "m";
  const auto sec_ms = ms % 60000;
  if (sec_ms == 0) return out;
  out += std::to_string(sec_ms / 1000);
  if (sec_ms % 1000 != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(sec_ms % 1000));
    std::string_view f(frac);
    out += f.substr(0, f.find_last_not_of('0') + 1);
  }
  return out + "s";
}

std::string FormatSeconds(Clock::duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fs", std::chrono::duration<double>(d).count());
  return buf;
}

void WriteSys(LogSink& sink, std::string_view step, std::string line) {
  line += '\n';
  sink.Write(step, LogFd::kSys, line);
}

std::string StartLine(const StepSpec& step) {
  std::string_view rest(step.script);
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    const size_t begin = line.find_first_not_of(" \t\r");
    if (begin != std::string_view::npos) {
      line = line.substr(begin);
      return "$ " + std::string(line.substr(0, line.find_last_not_of(" \t\r") + 1));
    }
    if (eol == std::string_view::npos) break;
    rest.remove_prefix(eol + 1);
  }
  return "step " + step.name + " started";
}

std::vector<std::string> ShellArgv(const std::filesystem::path& shell, const std::string& script) {
  if (shell.filename() == "bash") return {shell.string(), "-e", "-o", "pipefail", "-c", script};
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
      drain_until_ = Clock::now() + kDrainAfterExit;
    }
  }

  bool pipes_closed() const { return fds_[0].fd < 0 && fds_[1].fd < 0; }
  bool done() const { return pipes_closed() || (drain_until_ && Clock::now() >= *drain_until_); }

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

std::string ExtensionWarning(const JobDeadline& deadline) {
  return "warning: job reached its timeout of " + FormatDuration(deadline.timeout()) +
         "; extended once by " + FormatDuration(deadline.extension()) +
         " before it is killed";
}

// Forwards output until the step's tree has exited, or a timeout or stop request ends it first.
Ending PumpUntilEnd(OutputPump& pump, const StepSpec& step, LogSink& sink, JobDeadline& deadline,
                    const StopSource& stop, SteadyTime start) {
  std::optional<SteadyTime> step_end;
  if (step.step_timeout) step_end = start + *step.step_timeout;
  while (!pump.done()) {
    const SteadyTime now = Clock::now();
    if (stop.stop_requested()) return Ending::kStopped;
    const DeadlineEvent event = deadline.Check(now);
    if (event == DeadlineEvent::kExpired) return Ending::kJobTimeout;
    if (event == DeadlineEvent::kExtended) WriteSys(sink, step.name, ExtensionWarning(deadline));
    if (step_end && now >= *step_end) return Ending::kStepTimeout;
    SteadyTime wake = std::min(deadline.next(), now + kStopTick);
    if (step_end) wake = std::min(wake, *step_end);
    pump.PumpOnce(std::chrono::ceil<Millis>(wake - now));
  }
  return Ending::kExited;
}

// What the step's output still held when its tree was killed.
void DrainAfterKill(OutputPump& pump) {
  const SteadyTime end = Clock::now() + kDrainAfterKill;
  for (SteadyTime now = Clock::now(); !pump.pipes_closed() && now < end; now = Clock::now()) {
    pump.PumpOnce(std::chrono::ceil<Millis>(end - now));
  }
}

std::string StopMessage(const StepSpec& step, StopReason reason) {
  switch (reason) {
    case StopReason::kShutdown:
      return "step '" + step.name + "' stopped: the agent is shutting down";
    case StopReason::kLeaseLost:
      return "step '" + step.name + "' stopped: the job's lease was lost";
    case StopReason::kCancelled:
    case StopReason::kNone: break;
  }
  return "step '" + step.name + "' cancelled";
}

StepOutcome MakeOutcome(Ending ending, const StepSpec& step, const JobDeadline& deadline,
                        const StopSource& stop, int exit_code) {
  switch (ending) {
    case Ending::kExited:
      if (exit_code == 0) return {StepResult::kSucceeded, 0, ""};
      return {StepResult::kFailed, exit_code,
              "step '" + step.name + "' exited with code " + std::to_string(exit_code)};
    case Ending::kJobTimeout: {
      std::string what = "job timeout of " + FormatDuration(deadline.timeout());
      if (deadline.extension().count() > 0) {
        what += " (extended by " + FormatDuration(deadline.extension()) + ")";
      }
      return {StepResult::kTimedOut, -1, what + " reached; step '" + step.name + "' killed"};
    }
    case Ending::kStepTimeout:
      return {StepResult::kTimedOut, -1,
              "step timeout of " + FormatDuration(*step.step_timeout) + " reached; step '" +
                  step.name + "' killed"};
    case Ending::kStopped:
      return {StepResult::kCancelled, -1, StopMessage(step, stop.reason())};
  }
  return {StepResult::kError, -1, "unknown step ending"};
}

std::string EndLine(Ending ending, const StepSpec& step, const StepOutcome& outcome,
                    Clock::duration took) {
  if (ending == Ending::kExited) {
    return "step " + step.name + " exited with code " + std::to_string(outcome.exit_code) +
           " (in " + FormatSeconds(took) + ")";
  }
  return outcome.message + " (after " + FormatSeconds(took) + ")";
}

}  // namespace

ShellExecutor::ShellExecutor(std::filesystem::path reaper_binary, std::filesystem::path shell)
    : reaper_binary_(std::move(reaper_binary)), shell_(std::move(shell)) {}

std::filesystem::path ShellExecutor::DefaultShell() {
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
                                   const StopSource& stop) {
  const SteadyTime start = Clock::now();
  WriteSys(sink, step.name, StartLine(step));
  auto proc = Subprocess::Start({.reaper_binary = reaper_binary_,
                                 .argv = ShellArgv(shell_, step.script),
                                 .cwd = step.workdir,
                                 .env = BuildEnvironment(step.env, {})});
  if (!proc) {
    StepOutcome failed{StepResult::kError, -1,
                       "step '" + step.name + "' could not start: " + proc.error().message};
    WriteSys(sink, step.name, failed.message);
    sink.Flush();
    return failed;
  }
  OutputPump pump(*proc, sink, step.name);
  const Ending ending = PumpUntilEnd(pump, step, sink, deadline, stop, start);
  if (ending != Ending::kExited || !pump.pipes_closed()) {
    proc->Terminate();
    DrainAfterKill(pump);
  }
  const int exit_code = proc->Wait();
  const StepOutcome outcome = MakeOutcome(ending, step, deadline, stop, exit_code);
  WriteSys(sink, step.name, EndLine(ending, step, outcome, Clock::now() - start));
  sink.Flush();
  return outcome;
}

}  // namespace raibid
