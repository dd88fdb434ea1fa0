// What a failed git command means for the agent. git reports everything as text on stderr
// (always in English: the runner sets LC_ALL=C), so the classification reads that text.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

#include "process/run_command.h"
#include "util/error.h"

namespace raibid {

enum class GitFailure {
  kCorrupt,    // the local mirror is damaged: delete it and build it again
  kNotFound,   // repository, ref or commit does not exist: retrying will not help
  kAuth,       // credentials missing or refused: retrying will not help
  kTransport,  // network, server or anything else on the way: may pass on retry
  kOther,      // not a git message at all (git could not start, a file could not be written)
};

// Classifies git's stderr. Corruption markers win over the rest, since a damaged repository can
// also make a fetch fail.
GitFailure ClassifyGitFailure(std::string_view err);

// True when stderr holds one of the messages git prints for a damaged repository, whether or not
// the command then failed (git often repairs around a broken pack and carries on).
bool LooksCorrupt(std::string_view err);

// A failed git operation: the error to report, and what the failure was.
struct GitError {
  GitFailure failure = GitFailure::kOther;
  Error error;

  bool corrupt() const { return failure == GitFailure::kCorrupt; }
};

template <typename T>
using GitResult = std::expected<T, GitError>;
using GitStatus = std::expected<void, GitError>;

// The GitError for a git command that ran and failed (or timed out): kSource naming `what`, with
// the last lines of git's stderr; retryable for transport failures and timeouts only.
GitError MakeGitError(std::string_view what, const CommandResult& result,
                      std::chrono::milliseconds timeout);

// A GitError that is not about git's output (the command could not start, a file could not be
// written): passed through as it is, never taken for corruption.
GitError Unclassified(Error error);

// The last `max_lines` distinct "fatal:"/"error:" lines of git's stderr (else its last lines),
// joined by "; ". git repeats the same "error:" line once per object it touches, and follows
// the cause with advice.
std::string TailOfStderr(std::string_view err, size_t max_lines = 3);

}  // namespace raibid
