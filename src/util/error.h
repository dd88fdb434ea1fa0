// Expected failures as values. Every failure the agent can report carries one ErrorKind (the
// `error_kind` of docs/reference.md) and whether trying again may help; retry and reporting both
// decide from this one classification.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace raibid {

enum class ErrorKind {
  kInvalidJob,
  kInvalidPipeline,
  kSource,
  kStepFailed,
  kTimeout,
  kCancelled,
  kInfrastructure,
  kDeadLetter,
  kConfig,  // agent configuration; never written to a job, fails start-up instead
};

// As docs/reference.md spells them: "invalid_job", "source", ...
std::string_view ToString(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInfrastructure;
  std::string message;
  bool retryable = false;

  static Error Make(ErrorKind kind, std::string message, bool retryable = false) {
    return Error{kind, std::move(message), retryable};
  }
};

template <typename T>
using Result = std::expected<T, Error>;

// For functions that return nothing on success.
using Status = std::expected<void, Error>;

inline std::unexpected<Error> Fail(ErrorKind kind, std::string message, bool retryable = false) {
  return std::unexpected(Error{kind, std::move(message), retryable});
}

// errno as text, the single place that turns errno into words.
std::string ErrnoText(int err);

}  // namespace raibid
