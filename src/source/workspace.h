// A job's working tree made from a mirror: `git init` + an objects/info/alternates entry pointing
// at the mirror + `git checkout`. Measured in bench/checkout_bench.cc (26 MB pack, 6.4 MB tree):
// about 0.5-0.7x the time of `git clone --reference`, 0.7x `git clone --shared` + checkout, and
// level with `git worktree add`, which is ruled out: a worktree shares refs and config with the
// mirror (a job could move the mirror's branches) and leaves metadata in it to prune. This
// workspace has its own refs, index and config, copies none of the mirror's refs, and needs no
// extra process to point `origin` at the real URL. Safe as long as the mirror never drops
// objects (see mirror.h).
#pragma once

#include <filesystem>
#include <string_view>

#include "source/git_failure.h"
#include "source/git_runner.h"

namespace raibid {

struct WorkspaceSpec {
  std::filesystem::path path;        // must not exist; its parent is created if missing
  std::filesystem::path mirror_dir;  // the bare mirror holding the commit
  std::string_view origin_url;       // becomes remote "origin" (no credentials in it)
  std::string_view sha;              // full SHA, checked out detached
};

// Creates the workspace. On failure whatever was created of it is removed again. A failure
// showing a damaged mirror comes back as a kCorrupt GitError.
GitStatus CreateWorkspace(GitRunner& git, const WorkspaceSpec& spec);

}  // namespace raibid
