// The job and step the current thread works on, for the agent's own log lines: the JSON format
// carries them as fields, the text format as a "[job step]" prefix. Set by the runner with
// ScopedLogContext; thread-local, so each slot has its own.
#pragma once

#include <spdlog/common.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace raibid {

class Masker;

struct LogContext {
  std::string job_id;
  std::string step;
  // The job's masker (the agent's secrets plus what the job obtained, such as bearer tokens);
  // the agent's log masks the thread's lines with it too.
  std::shared_ptr<const Masker> masker;
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

// A fact of a log line: a JSON line carries it as a field of its own (a string or a number), a
// text line as " key=value" after the message (the value quoted when it holds a space or a
// quote). String values are masked like the message.
struct LogField {
  std::string key;
  std::variant<std::string, int64_t> value;
};

// Writes `message` with `fields` to the agent's log (after the thread's job_id and step).
void LogWithFields(spdlog::level::level_enum level, std::string_view message,
                   std::vector<LogField> fields);

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

// From now on every message of the agent's logger is masked with `masker` (a copy) before it is
// formatted: the secrets the agent read at start-up never reach its own log; nor do a job's
// (LogContext::masker) in the lines of the thread running it.
void MaskAgentLog(const Masker& masker);

}  // namespace raibid
