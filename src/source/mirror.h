// One bare mirror of a remote repository: its branches (refs/heads/*) and tags (refs/tags/*) as
// the remote has them, plus any commit fetched by SHA. Workspaces borrow its objects through
// objects/info/alternates, so it never collects garbage (gc.auto=0, maintenance.auto=false):
// an object a workspace relies on must not vanish.
//
// Not thread-safe: the caller holds the mirror's MirrorLock (exclusive for Create, Fetch*,
// Remove). Every git command names the mirror with --git-dir, so a damaged mirror is reported
// as such instead of git wandering up to some repository around the cache directory.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "source/git_failure.h"
#include "source/git_runner.h"

namespace raibid {

class Mirror {
 public:
  Mirror(GitRunner& git, std::filesystem::path dir, std::string url)
      : git_(git), dir_(std::move(dir)), url_(std::move(url)) {}

  const std::filesystem::path& dir() const { return dir_; }
  const std::string& url() const { return url_; }

  bool Exists() const;
  // An empty bare repository configured as a mirror. The directory must not exist.
  GitStatus Create();
  // Deletes the mirror directory. Workspaces still borrowing from it lose their objects.
  Status Remove();

  // Brings every branch and tag up to date with the remote, removing those it deleted.
  GitStatus Fetch();
  // Fetches one commit by its full SHA (one no branch or tag reaches, e.g. a pull request head).
  GitStatus FetchCommit(std::string_view sha);

  // Whether the mirror holds commit `sha` (full SHA). An error only for a damaged mirror.
  GitResult<bool> HasCommit(std::string_view sha);
  // The full SHA of the commit `rev` names ("refs/heads/main", "refs/tags/v1", an abbreviated
  // SHA; validated by the caller). Not there: kNotFound error naming `what` ("branch 'main'").
  GitResult<std::string> ResolveCommit(std::string_view rev, std::string_view what);

 private:
  GitResult<CommandResult> Git(std::vector<std::string> args, std::string_view what,
                               bool remote = false);

  GitRunner& git_;
  std::filesystem::path dir_;
  std::string url_;
};

}  // namespace raibid
