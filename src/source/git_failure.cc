#include "source/git_failure.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "util/text.h"

namespace raibid {
namespace {

// Substrings of git messages (lower-cased) for a damaged local repository, seen by damaging
// mirrors on purpose: missing or truncated packs and loose objects, garbage in HEAD, config or
// packed-refs, a missing objects/ or refs/ directory.
constexpr std::array<std::string_view, 25> kCorruptMarkers = {
    "not a git repository",    // broken HEAD, missing refs/ or objects/
    "invalid gitfile format",  // a file where the mirror directory should be
    "bad config",
    "bad numeric config",
    "is corrupt",
    "object file",  // "object file ... is empty"
    "bad object",
    "did not send all necessary objects",
    "does not match index",
    "too short to be a packfile",
    "unknown object type",
    "unable to read tree",
    "unable to read sha1 file",
    "reference is not a tree",
    "inflate:",
    "missing blob",
    "missing tree",
    "invalid object",
    "broken link",
    "unexpected line in",  // packed-refs
    "object directory",    // alternates pointing nowhere
    "failed to read object",
    "unable to parse object",
    "index file corrupt",
    "bad packed object",
};

constexpr std::array<std::string_view, 9> kAuthMarkers = {
    "authentication failed",        "could not read username",      "could not read password",
    "terminal prompts disabled",    "returned error: 401",          "returned error: 403",
    "permission denied (publickey", "host key verification failed", "invalid username or password",
};

constexpr std::array<std::string_view, 6> kNotFoundMarkers = {
    "not found",  // "repository '...' not found"
    "does not appear to be a git repository",
    "returned error: 404",
    "couldn't find remote ref",
    "not our ref",
    "no such repository",
};

template <size_t N>
bool ContainsAny(const std::string& haystack, const std::array<std::string_view, N>& needles) {
  return std::any_of(needles.begin(), needles.end(),
                     [&](std::string_view n) { return haystack.find(n) != std::string::npos; });
}

}  // namespace

bool LooksCorrupt(std::string_view err) {
  // "does not appear to be a git repository" names the remote, not our mirror.
  std::string lower = Lower(err);
  if (lower.find("does not appear to be a git repository") != std::string::npos) return false;
  return ContainsAny(lower, kCorruptMarkers);
}

GitFailure ClassifyGitFailure(std::string_view err) {
  if (LooksCorrupt(err)) return GitFailure::kCorrupt;
  std::string lower = Lower(err);
  if (ContainsAny(lower, kAuthMarkers)) return GitFailure::kAuth;
  if (ContainsAny(lower, kNotFoundMarkers)) return GitFailure::kNotFound;
  return GitFailure::kTransport;
}

std::string TailOfStderr(std::string_view err, size_t max_lines) {
  std::vector<std::string_view> all, flagged;
  size_t start = 0;
  while (start < err.size()) {
    size_t end = err.find('\n', start);
    if (end == std::string_view::npos) end = err.size();
    std::string_view line = err.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    start = end + 1;
    if (line.empty() || std::find(all.begin(), all.end(), line) != all.end()) continue;
    all.push_back(line);
    if (line.starts_with("fatal:") || line.starts_with("error:")) flagged.push_back(line);
  }
  // git's "fatal:"/"error:" lines carry the cause; the rest is advice ("Please make sure...").
  std::vector<std::string_view>& lines = flagged.empty() ? all : flagged;
  if (lines.size() > max_lines) lines.erase(lines.begin(), lines.end() - max_lines);
  std::string out;
  for (std::string_view line : lines) {
    if (!out.empty()) out += "; ";
    out += line;
  }
  return out;
}

GitError MakeGitError(std::string_view what, const CommandResult& result,
                      std::chrono::milliseconds timeout) {
  if (result.timed_out) {
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
    return GitError{GitFailure::kTransport, Error::Make(ErrorKind::kSource,
                                                        std::string(what) + " timed out after " +
                                                            std::to_string(seconds) + " s",
                                                        true)};
  }
  GitFailure failure = ClassifyGitFailure(result.err);
  std::string detail = TailOfStderr(result.err);
  if (detail.empty()) detail = "git exited with status " + std::to_string(result.exit_code);
  bool retryable = failure == GitFailure::kTransport;
  return GitError{failure, Error::Make(ErrorKind::kSource, std::string(what) + " failed: " + detail,
                                       retryable)};
}

GitError Unclassified(Error error) { return GitError{GitFailure::kOther, std::move(error)}; }

}  // namespace raibid
