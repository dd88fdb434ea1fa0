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
  // A sys line about output still coming (a command echo, written while the step runs). Unlike a
  // sys line given to Write it does not end the step's out and err streams: bytes a sink holds
  // back because they could begin a secret stay held until the rest shows. By default Write.
  virtual void WriteAside(std::string_view step, std::string_view line) {
    Write(step, LogFd::kSys, line);
  }
  // Pushes out whatever is buffered.
  virtual void Flush() = 0;
};

}  // namespace raibid
