#include "executor/step_report.h"

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

StepOutcome MakeOutcome(StepEnding ending, const StepSpec& step, const JobDeadline& deadline,
                        const StopSource& stop, int exit_code) {
  switch (ending) {
    case StepEnding::kExited:
      if (exit_code == 0) return {StepResult::kSucceeded, 0, ""};
      return {StepResult::kFailed, exit_code,
              "step '" + step.name + "' exited with code " + std::to_string(exit_code)};
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
  }
  return {StepResult::kError, -1, "unknown step ending"};
}

std::string StepEndLine(StepEnding ending, const StepSpec& step, const StepOutcome& outcome,
                        SteadyClock::duration took) {
  if (ending == StepEnding::kExited) {
    return "step " + step.name + " exited with code " + std::to_string(outcome.exit_code) +
           " (in " + FormatSeconds(took) + ")";
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
  return std::nullopt;
}

Millis StepClock::UntilNextCheck(Millis tick) const {
  const SteadyTime now = deadline_.clock().SteadyNow();
  SteadyTime wake = std::min(deadline_.next(), now + tick);
  if (step_end_) wake = std::min(wake, *step_end_);
  return std::max(Millis(0), std::chrono::ceil<Millis>(wake - now));
}

}  // namespace raibid
