// An Executor for the runner's tests: each step does what the test scripted (an exit code, some
// output, an infrastructure error, or hanging until a stop or a timeout ends it), and Begin can
// fail a given number of times first. Time is the job deadline's clock, and the step's end is
// decided by the real StepClock (executor/step_report.h), so on a FakeClock a step that hangs
// into a 30-minute timeout ends in microseconds, with the real soft-timeout warning on the way.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "executor/executor.h"
#include "executor/step_report.h"
#include "util/mutex.h"

namespace raibid {

// What one scripted step does.
struct FakeStep {
  int exit_code = 0;
  std::string output;                 // written to the step's stdout
  bool infrastructure_error = false;  // the step cannot start (StepResult::kError)
  bool hang = false;               // runs until a stop request or a timeout (the job's or its own)
  std::function<void()> on_start;  // called as the step starts (a stop request from elsewhere)
};

class FakeExecutor final : public Executor {
 public:
  // `step` runs as `what` says; an unscripted step succeeds with no output.
  void Script(const std::string& step, FakeStep what) {
    MutexLock lock(&mutex_);
    script_[step] = std::move(what);
  }
  // The next Begin fails with `error` (each call queues one more failure before success).
  void FailBegin(Error error) {
    MutexLock lock(&mutex_);
    begin_failures_.push_back(std::move(error));
  }

  Result<std::unique_ptr<JobSession>> Begin(const JobEnvironment&, LogSink&,
                                            const StopSource&) override {
    MutexLock lock(&mutex_);
    ++begins_;
    if (!begin_failures_.empty()) {
      Error error = std::move(begin_failures_.front());
      begin_failures_.pop_front();
      return std::unexpected(std::move(error));
    }
    return std::make_unique<Session>(*this);
  }

  // What Ready answers from now on (an engine that went away, say).
  void SetReady(Status ready) {
    MutexLock lock(&mutex_);
    ready_ = std::move(ready);
  }
  Status Ready() override {
    MutexLock lock(&mutex_);
    return ready_;
  }

  int begins() const {
    MutexLock lock(&mutex_);
    return begins_;
  }
  // The names of the steps that ran, in order.
  std::vector<std::string> steps_run() const {
    MutexLock lock(&mutex_);
    return steps_run_;
  }
  // The environment the last run of `step` got.
  std::map<std::string, std::string> env_of(const std::string& step) const {
    MutexLock lock(&mutex_);
    auto it = envs_.find(step);
    return it == envs_.end() ? std::map<std::string, std::string>{} : it->second;
  }

 private:
  class Session final : public JobSession {
   public:
    explicit Session(FakeExecutor& executor) : executor_(executor) {}
    StepOutcome RunStep(const StepSpec& step, LogSink& sink, JobDeadline& deadline,
                        const StopSource& stop) override {
      return executor_.Run(step, sink, deadline, stop);
    }

   private:
    FakeExecutor& executor_;
  };

  FakeStep Start(const StepSpec& step) {
    MutexLock lock(&mutex_);
    steps_run_.push_back(step.name);
    envs_[step.name] = step.env;
    auto it = script_.find(step.name);
    return it == script_.end() ? FakeStep{} : it->second;
  }

  StepOutcome Run(const StepSpec& step, LogSink& sink, JobDeadline& deadline,
                  const StopSource& stop) {
    Clock& clock = deadline.clock();
    const SteadyTime start = clock.SteadyNow();
    WriteSys(sink, step.name, StepStartLine(step));
    const FakeStep what = Start(step);
    if (what.on_start) what.on_start();
    if (what.infrastructure_error) {
      return {StepResult::kError, -1, "step '" + step.name + "' could not start: fake"};
    }
    if (!what.output.empty()) sink.Write(step.name, LogFd::kOut, what.output);
    StepClock step_clock(step, deadline, stop, sink, start);
    std::optional<StepEnding> ending = step_clock.Check();
    while (what.hang && !ending) {
      clock.WaitUntil(clock.SteadyNow() + step_clock.UntilNextCheck(std::chrono::minutes(1)), stop);
      ending = step_clock.Check();
    }
    const StepEnding end = ending.value_or(StepEnding::kExited);
    StepOutcome outcome = MakeOutcome(end, step, deadline, stop, what.exit_code);
    WriteSys(sink, step.name, StepEndLine(end, step, outcome, clock.SteadyNow() - start));
    sink.Flush();
    return outcome;
  }

  mutable Mutex mutex_;
  std::map<std::string, FakeStep> script_ GUARDED_BY(mutex_);
  std::deque<Error> begin_failures_ GUARDED_BY(mutex_);
  int begins_ GUARDED_BY(mutex_) = 0;
  Status ready_ GUARDED_BY(mutex_);
  std::vector<std::string> steps_run_ GUARDED_BY(mutex_);
  std::map<std::string, std::map<std::string, std::string>> envs_ GUARDED_BY(mutex_);
};

}  // namespace raibid
