// A LogSink for the source tests that keeps everything written to it.
#pragma once

#include <mutex>
#include <string>

#include "util/log_sink.h"

namespace raibid {

class RecordingSink : public LogSink {
 public:
  void Write(std::string_view step, LogFd fd, std::string_view data) override {
    std::lock_guard lock(mutex_);
    text_ += std::string(step) + "/" + std::string(ToString(fd)) + ": " + std::string(data);
  }
  void Flush() override {}
  std::string text() const {
    std::lock_guard lock(mutex_);
    return text_;
  }

 private:
  mutable std::mutex mutex_;
  std::string text_;
};

}  // namespace raibid
