#include "executor/step_report.h"

#include <signal.h>
#include <string.h>

#include <cstdio>

namespace raibid {

using SteadyClock = std::chrono::steady_clock;

void WriteSys(LogSink& sink, std::string_view step, std::string line) {
  line += '\n';
  sink.Write(step, LogFd::kSys, line);
}

std::string StepStartLine(const StepSpec& step) {
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

std::string ExtensionWarning(const JobDeadline& deadline) {
  return "warning: job reached its timeout of " + FormatDuration(deadline.timeout()) +
         "; extended once by " + FormatDuration(deadline.extension()) + " before it is killed";
}

namespace {

std::string StopMessage(const StepSpec& step, StopReason reason) {
  switch (reason) {
    case StopReason::kShutdown:
      return "step '" + step.name + "' stopped: the agent is shutting down";
    case StopReason::kLeaseLost:
      return "step '" + step.name + "' stopped: the job's lease was lost";
    case StopReason::kCancelled:
    case StopReason::kNone:
      break;
  }
  return "step '" + step.name + "' cancelled";
}

}  // namespace

std::string ExitWords(int exit_code) {
  std::string words = "exited with code " + std::to_string(exit_code);
  const int sig = exit_code - 128;
  const char* abbrev = sig > 0 ? sigabbrev_np(sig) : nullptr;
  if (abbrev == nullptr) return words;
  words += " (SIG" + std::string(abbrev) + ": ";
  switch (sig) {  // the ones a build meets, in the words that say what happened
    case SIGPIPE:
      return words + "a process wrote to a pipe whose reader had exited)";
    case SIGKILL:
      return words + "killed, by the out-of-memory killer or a kill -9)";
    case SIGSEGV:
      return words + "a process crashed: invalid memory access)";
    case SIGTERM:
      return words + "terminated)";
    default:
      break;
  }
  const char* descr = sigdescr_np(sig);
  return words + Lower(descr != nullptr ? descr : "signal " + std::to_string(sig)) + ")";
}

StepOutcome MakeOutcome(StepEnding ending, const StepSpec& step, const JobDeadline& deadline,
                        const StopSource& stop, int exit_code, std::string_view where) {
  switch (ending) {
    case StepEnding::kExited:
      if (exit_code == 0) return {StepResult::kSucceeded, 0, ""};
      return {StepResult::kFailed, exit_code,
              "step '" + step.name + "' " + ExitWords(exit_code) + std::string(where)};
    case StepEnding::kJobTimeout: {
      std::string what = "job timeout of " + FormatDuration(deadline.timeout());
      if (deadline.extension().count() > 0) {
        what += " (extended by " + FormatDuration(deadline.extension()) + ")";
      }
      return {StepResult::kTimedOut, -1, what + " reached; step '" + step.name + "' killed"};
    }
    case StepEnding::kStepTimeout:  // only a step with a step_timeout ends so
      return {StepResult::kTimedOut, -1,
              "step timeout of " + FormatDuration(step.step_timeout.value_or(Millis{0})) +
                  " reached; step '" + step.name + "' killed"};
    case StepEnding::kStopped:
      return {StepResult::kCancelled, -1, StopMessage(step, stop.reason())};
    case StepEnding::kDiskBudget: {
      const auto why = step.disk_exceeded ? step.disk_exceeded() : std::nullopt;
      return {StepResult::kError, -1,
              why.value_or("over the job's disk budget") + "; step '" + step.name + "' killed",
              ErrorKind::kDisk};
    }
  }
  return {StepResult::kError, -1, "unknown step ending"};
}

std::string StepEndLine(StepEnding ending, const StepSpec& step, const StepOutcome& outcome,
                        SteadyClock::duration took, std::string_view where) {
  if (ending == StepEnding::kExited) {
    return "step " + step.name + " " + ExitWords(outcome.exit_code) +
           (outcome.exit_code != 0 ? std::string(where) : "") + " (in " + FormatSeconds(took) + ")";
  }
  return outcome.message + " (after " + FormatSeconds(took) + ")";
}

StepClock::StepClock(const StepSpec& step, JobDeadline& deadline, const StopSource& stop,
                     LogSink& sink, SteadyTime start)
    : step_(step), deadline_(deadline), stop_(stop), sink_(sink) {
  if (step.step_timeout) step_end_ = start + *step.step_timeout;
}

std::optional<StepEnding> StepClock::Check() {
  const SteadyTime now = deadline_.clock().SteadyNow();
  if (stop_.stop_requested()) return StepEnding::kStopped;
  const DeadlineEvent event = deadline_.Check(now);
  if (event == DeadlineEvent::kExpired) return StepEnding::kJobTimeout;
  if (event == DeadlineEvent::kExtended) WriteSys(sink_, step_.name, ExtensionWarning(deadline_));
  if (step_end_ && now >= *step_end_) return StepEnding::kStepTimeout;
  if (step_.disk_exceeded && step_.disk_exceeded()) return StepEnding::kDiskBudget;
  return std::nullopt;
}

Millis StepClock::UntilNextCheck(Millis tick) const {
  const SteadyTime now = deadline_.clock().SteadyNow();
  SteadyTime wake = std::min(deadline_.next(), now + tick);
  if (step_end_) wake = std::min(wake, *step_end_);
  return std::max(Millis(0), std::chrono::ceil<Millis>(wake - now));
}

}  // namespace raibid
