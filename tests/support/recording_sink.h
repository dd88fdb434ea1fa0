// The LogSink of the tests: keeps every write, in order, and answers questions about them.
// Thread-safe (a checkout's git progress and an executor's pumps write from threads of their
// own); `on_write` must be set before the writes start.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/log_sink.h"
#include "util/mutex.h"

namespace raibid::testing {

class RecordingSink final : public LogSink {
 public:
  struct Entry {
    std::string step;
    LogFd fd;
    std::string data;
  };

  void Write(std::string_view step, LogFd fd, std::string_view data) override;
  void Flush() override;

  // Every write, in order.
  std::vector<Entry> entries() const;
  // The bytes written to `fd`, in order: Text(LogFd::kOut) is what the step printed.
  std::string Text(LogFd fd) const;
  // Every write as "step/fd: data", in order: "checkout/sys: fetching ...\n".
  std::string Lines() const;
  // Each write to kSys (one line each).
  std::vector<std::string> SysLines() const;
  int flushes() const;
  // Forgets every write.
  void Clear();

  // Called after each write is kept, outside the sink's lock (a test reacting to output).
  std::function<void(LogFd, std::string_view)> on_write;

 private:
  mutable Mutex mu_;
  std::vector<Entry> entries_ GUARDED_BY(mu_);
  int flushes_ GUARDED_BY(mu_) = 0;
};

}  // namespace raibid::testing
