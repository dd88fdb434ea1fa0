// The job and step the current thread works on, for the agent's own log lines: the JSON format
// carries them as fields, the text format as a "[job step]" prefix. Set by the runner with
// ScopedLogContext; thread-local, so each slot has its own.
#pragma once

#include <memory>
#include <string>

namespace raibid {

struct LogContext {
  std::string job_id;
  std::string step;
};

LogContext& CurrentLogContext();

class ScopedLogContext {
 public:
  explicit ScopedLogContext(std::string job_id) : saved_(CurrentLogContext()) {
    CurrentLogContext() = LogContext{std::move(job_id), ""};
  }
  ~ScopedLogContext() { CurrentLogContext() = saved_; }
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  LogContext saved_;
};

enum class LogFormat { kAuto, kText, kJson };

}  // namespace raibid

namespace spdlog {
class formatter;
}

namespace raibid {

// kText or kJson (kAuto is decided by SetUpLogging).
std::unique_ptr<spdlog::formatter> MakeLogFormatter(LogFormat format);

// Installs the agent's logger on stderr: text with colours on a terminal, one JSON object per
// line otherwise (kAuto), or as asked.
void SetUpLogging(LogFormat format);

class Masker;
// From now on every message of the agent's logger is masked with `masker` (a copy) before it is
// formatted: the secrets the agent read at start-up never reach its own log.
void MaskAgentLog(const Masker& masker);

}  // namespace raibid
