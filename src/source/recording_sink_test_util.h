// A LogSink for the source tests that keeps everything written to it.
#pragma once

#include <string>

#include "util/log_sink.h"
#include "util/mutex.h"

namespace raibid {

class RecordingSink : public LogSink {
 public:
  void Write(std::string_view step, LogFd fd, std::string_view data) override {
    MutexLock lock(&mutex_);
    text_ += std::string(step) + "/" + std::string(ToString(fd)) + ": " + std::string(data);
  }
  void Flush() override {}
  std::string text() const {
    MutexLock lock(&mutex_);
    return text_;
  }

 private:
  mutable Mutex mutex_;
  std::string text_ GUARDED_BY(mutex_);
};

}  // namespace raibid
