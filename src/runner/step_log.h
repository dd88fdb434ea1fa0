// The job log as one step sees it while other steps may run at the same time: writes go to the
// job's RedisLogSink, and the executor's Flush at the step's end flushes this step's output only
// (RedisLogSink::FlushStep), so it never releases bytes another running step holds back because
// they could begin a secret.
#pragma once

#include <string>

#include "report/redis_log_sink.h"

namespace raibid {

class StepLog final : public LogSink {
 public:
  StepLog(RedisLogSink& log, std::string step) : log_(log), step_(std::move(step)) {}
  void Write(std::string_view step, LogFd fd, std::string_view data) override {
    log_.Write(step, fd, data);
  }
  void WriteAside(std::string_view step, std::string_view line) override {
    log_.WriteAside(step, line);
  }
  void Flush() override { log_.FlushStep(step_); }

 private:
  RedisLogSink& log_;
  const std::string step_;
};

}  // namespace raibid
