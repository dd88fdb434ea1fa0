// What every executor says about a step, the same way: the "$ command" line before it, the
// soft-timeout warning, the verdict after it, and the outcome for the job's status. Also the
// step's clock (the job's deadline, the step's own timeout, a stop request), which both the
// `shell` and the `docker` executor consult while a step runs.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "executor/executor.h"
#include "util/text.h"

namespace raibid {

enum class StepEnding { kExited, kJobTimeout, kStepTimeout, kStopped, kDiskBudget };

// Writes one `sys` line (a '\n' is added).
void WriteSys(LogSink& sink, std::string_view step, std::string line);
// "$ <first non-blank line of the script>".
std::string StepStartLine(const StepSpec& step);
std::string ExtensionWarning(const JobDeadline& deadline);
// "exited with code 1"; for a status of 128+N, N a signal, the signal too: "exited with code
// 141 (SIGPIPE: ...)" (a shell reports a command killed by signal N so).
std::string ExitWords(int exit_code);
// The outcome of a step that ended this way; `exit_code` counts only for kExited, and `where`
// (CommandEcho::LastLine) is added to the message of a step that exited non-zero.
StepOutcome MakeOutcome(StepEnding ending, const StepSpec& step, const JobDeadline& deadline,
                        const StopSource& stop, int exit_code, std::string_view where = {});
// "step NAME exited with code N (in 1.23s)" (with `where` when N is not 0), or the outcome's
// message with the time taken.
std::string StepEndLine(StepEnding ending, const StepSpec& step, const StepOutcome& outcome,
                        std::chrono::steady_clock::duration took, std::string_view where = {});

// Decides, each time it is asked, whether the step must end now (a stop, a timeout, the job's
// disk budget: StepSpec::disk_exceeded). Time is read from the job deadline's clock; `start` (when
// the step started) is on that clock too.
class StepClock {
 public:
  StepClock(const StepSpec& step, JobDeadline& deadline, const StopSource& stop, LogSink& sink,
            SteadyTime start);
  // The reason to end the step now, or nullopt. Writes the soft-timeout warning to the sink
  // the one time the job's deadline is extended.
  std::optional<StepEnding> Check();
  // How long until the next Check could answer differently, at most `tick`.
  Millis UntilNextCheck(Millis tick) const;

 private:
  const StepSpec& step_;
  JobDeadline& deadline_;
  const StopSource& stop_;
  LogSink& sink_;
  std::optional<SteadyTime> step_end_;
};

}  // namespace raibid
