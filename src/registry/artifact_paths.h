// Which files a job publishes: the pipeline's `artifacts.paths` entries (files, directories and
// globs: `*`, `?`, `[...]` within a name, `**` for any number of directories), relative to the
// workspace, resolved without ever leaving it. An entry that is absolute, has a ".." component,
// or matches something that resolves (through symlinks, at any level) outside the workspace is
// refused: the agent must not publish the host's files because a repository asked for them.
// Each match is checked with ResolveBeneath (util/path_guard.h), so a symlink with an absolute
// target is refused even when it names a file inside the workspace; a glob is not expanded in a
// directory reached through a symlink out of the workspace (that directory is the refused match).
// A match that cannot be resolved for another reason (a symlink to nothing, a loop) is a warning.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "util/error.h"

namespace raibid {

struct ArtifactPath {
  std::string relative;            // "dist/app": '/'-separated, the layer's title
  std::filesystem::path absolute;  // canonical, inside the workspace
  bool directory = false;
};

struct ResolvedArtifacts {
  std::filesystem::path workspace;    // canonical
  std::vector<ArtifactPath> paths;    // sorted within each entry, duplicates dropped
  std::vector<std::string> warnings;  // entries that matched nothing, special files skipped
};

// kInvalidPipeline naming the offending entry (and the match, for symlinks) when an entry
// escapes the workspace; kInfrastructure when the workspace itself cannot be resolved.
// `*` and `?` do not match a leading '.', as in the shell; `**` does not descend into symlinked
// directories or hidden directories.
Result<ResolvedArtifacts> ResolveArtifactPaths(const std::filesystem::path& workspace,
                                               const std::vector<std::string>& patterns);

}  // namespace raibid
