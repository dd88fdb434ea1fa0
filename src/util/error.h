// Expected failures as values. Every failure the agent can report carries one ErrorKind (the
// `error_kind` of docs/reference.md) and whether trying again may help; retry and reporting both
// decide from this one classification.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <system_error>

namespace raibid {

enum class ErrorKind {
  kInvalidJob,
  kInvalidPipeline,
  kSource,
  kStepFailed,
  kTimeout,
  kCancelled,
  kInfrastructure,
  kService,  // a pipeline's service did not start, was not ready in time, or exited
  kDisk,     // the job's files grew past its disk budget (agent.limits.workspace_bytes)
  kDeadLetter,
  kConfig,  // agent configuration; never written to a job, fails start-up instead
};

// As docs/reference.md spells them: "invalid_job", "source", ...
std::string_view ToString(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInfrastructure;
  std::string message;
  bool retryable = false;
  // The fault lies with this agent, not the job: its disk is full, its directories cannot be
  // made, its container engine does not answer. Another agent may well run the job, so the
  // runner hands it back instead of failing it (docs/reliability.md, Local faults).
  bool local = false;

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

// The one place an errno becomes an Error, as leveldb's PosixError: the message is
// "<context>: <ErrnoText(err)>". `kind` and `retryable` say what failing at the caller's operation
// means, and hold for most errnos (ENOENT, EACCES, EPERM, ...). The machine failing overrides
// them: EIO, and running out of descriptors, memory or disk (EMFILE, ENFILE, ENOMEM, ENOBUFS,
// EAGAIN, ENOSPC, EDQUOT), are kInfrastructure; running out is also retryable, as a later attempt
// may find room. Those errnos and a read-only file system (EROFS) are `local`: the fault is this
// machine's, whatever the caller was doing.
Error ErrnoError(int err, std::string_view context, ErrorKind kind = ErrorKind::kInfrastructure,
                 bool retryable = false);

// The same for a std::error_code (from <filesystem>, say): a code of the system or generic
// category is its errno; any other keeps `kind` and `retryable`, with the code's own message.
Error ErrnoError(const std::error_code& ec, std::string_view context,
                 ErrorKind kind = ErrorKind::kInfrastructure, bool retryable = false);

}  // namespace raibid
