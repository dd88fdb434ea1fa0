// Where a job's output goes. Executors and the source checkout write bytes here and know nothing
// of Redis; the report module implements it with a batched writer to `ci:logs:<job_id>`.
#pragma once

#include <string_view>

namespace raibid {

enum class LogFd { kOut, kErr, kSys };

std::string_view ToString(LogFd fd);  // "out", "err", "sys"

class LogSink {
 public:
  virtual ~LogSink() = default;
  // Appends output of `fd` for the step named `step`. Called from one thread at a time. Must not
  // block for long: a child whose pipe is not drained stalls.
  virtual void Write(std::string_view step, LogFd fd, std::string_view data) = 0;
  // Pushes out whatever is buffered.
  virtual void Flush() = 0;
};

}  // namespace raibid
