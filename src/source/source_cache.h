// Job sources: one bare mirror per repository under a cache directory, kept up to date by
// fetching only what is new, and a fresh workspace per job made from it.
//
// Usage:
//   SourceCache cache(cache_dir / "git", GitCredentials{.token_file = "/etc/raibid/token"});
//   auto r = cache.Checkout({.url = url, .branch = "main", .workspace = dir}, sink);
//
// Failures (all as values; nothing throws):
//   kInvalidJob      a commit/branch/tag or URL that fails validation (names the field);
//   kSource          git could not get the source: remote unreachable or failing (retryable),
//                    repository, branch, tag or commit not found, credentials refused (not
//                    retryable); the message carries git's own words;
//   kInfrastructure  this host's fault: disk, permissions, an unreadable token file.
// A mirror git reports damaged is deleted and rebuilt from the remote once, and the checkout
// goes on. The token never appears in an argument, a log line or an error message.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "source/git_failure.h"
#include "source/git_runner.h"
#include "source/source_checkout.h"
#include "util/error.h"
#include "util/log_sink.h"

namespace raibid {

class SourceCache final : public SourceCheckout {
 public:
  // root: directory holding the bare mirrors (e.g. <cache>/git), created if missing.
  // git_program: the git executable (tests wrap it to record its arguments).
  SourceCache(std::filesystem::path root, std::optional<GitCredentials> credentials,
              std::chrono::milliseconds git_timeout = std::chrono::minutes(10),
              std::string git_program = "git");

  // Brings the repository's mirror up to date (only what is new; nothing at all when the job
  // names a full SHA the mirror already has), then creates `workspace` checked out (detached)
  // at the commit / branch tip / tag, with remote "origin" set to the URL. Progress lines go to
  // sink.Write("checkout", LogFd::kSys, ...). On failure no workspace is left behind (one that
  // existed before is refused and left alone).
  // Thread-safe, also across processes sharing `root` (an flock per mirror).
  Result<CheckoutResult> Checkout(const SourceRequest& request, LogSink& sink) override;

  // Idle-time upkeep: `git gc --prune=never` on every mirror under its exclusive lock (packs loose
  // objects; never deletes one, so workspaces borrowing objects stay whole). Returns the number
  // of mirrors maintained.
  Result<int> Maintain();

 private:
  Status CheckCredentials(const std::string& url) const;

  std::filesystem::path root_;
  std::optional<GitCredentials> credentials_;
  GitRunner git_;
};

}  // namespace raibid
