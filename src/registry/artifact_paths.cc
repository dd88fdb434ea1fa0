#include "registry/artifact_paths.h"

#include <fnmatch.h>

#include <fcntl.h>

#include <algorithm>
#include <set>

#include "util/path_guard.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;

bool HasWildcard(const std::string& c) { return c.find_first_of("*?[") != std::string::npos; }

std::string Join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "/" + name;
}

// Names in `dir` (sorted), "" for an unreadable or missing directory.
std::vector<std::string> List(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool IsRealDirectory(const fs::path& p) {
  std::error_code ec;
  return fs::symlink_status(p, ec).type() == fs::file_type::directory;
}

// Whether the directory `prefix` (relative to `root`) is reached through a symlink out of it.
bool LeavesRoot(const fs::path& root, const std::string& prefix) {
  if (prefix.empty()) return false;
  auto dir = OpenBeneath(root, prefix, O_PATH | O_DIRECTORY);
  return !dir && dir.error().fault == PathFault::kOutside;
}

// Relative paths under `root` matching components [i, end) of a pattern, below `prefix`.
void Expand(const fs::path& root, const std::vector<std::string>& comps, size_t i,
            const std::string& prefix, std::set<std::string>& out) {
  if (i == comps.size()) {
    out.insert(prefix);
    return;
  }
  const std::string& c = comps[i];
  const fs::path dir = prefix.empty() ? root : root / prefix;
  // A directory reached through a symlink out of the root is not listed: it becomes the match,
  // which Admit then refuses, so the names of the host's files never reach the log.
  if ((c == "**" || HasWildcard(c)) && LeavesRoot(root, prefix)) {
    out.insert(prefix);
    return;
  }
  if (c == "**") {
    Expand(root, comps, i + 1, prefix, out);
    for (const auto& name : List(dir)) {
      if (name[0] != '.' && IsRealDirectory(dir / name))
        Expand(root, comps, i, Join(prefix, name), out);
    }
  } else if (HasWildcard(c)) {
    for (const auto& name : List(dir)) {
      if (fnmatch(c.c_str(), name.c_str(), FNM_PERIOD) == 0)
        Expand(root, comps, i + 1, Join(prefix, name), out);
    }
  } else {
    std::error_code ec;
    if (fs::symlink_status(dir / c, ec).type() != fs::file_type::not_found && !ec) {
      Expand(root, comps, i + 1, Join(prefix, c), out);
    }
  }
}

Error Refuse(const std::string& pattern, const std::string& why) {
  return Error::Make(ErrorKind::kInvalidPipeline, "artifacts.paths: '" + pattern + "' " + why);
}

// The pattern's components, or why it is refused.
Result<std::vector<std::string>> Components(const std::string& pattern) {
  if (pattern.empty()) return std::unexpected(Refuse(pattern, "is empty"));
  if (pattern.front() == '/' || pattern.front() == '~') {
    return std::unexpected(Refuse(pattern, "is absolute; paths are relative to the workspace"));
  }
  std::vector<std::string> comps;
  size_t start = 0;
  while (start <= pattern.size()) {
    const size_t slash = std::min(pattern.find('/', start), pattern.size());
    std::string c = pattern.substr(start, slash - start);
    if (c == "..") return std::unexpected(Refuse(pattern, "leaves the workspace (\"..\")"));
    if (!c.empty() && c != ".") comps.push_back(std::move(c));
    start = slash + 1;
  }
  if (comps.empty()) return std::unexpected(Refuse(pattern, "names the workspace itself"));
  return comps;
}

// Classifies one match: appended to `out`, a warning, or a refusal.
Status Admit(const fs::path& root, const std::string& pattern, const std::string& rel,
             ResolvedArtifacts& out) {
  auto resolved = ResolveBeneath(root, rel);
  if (!resolved && (resolved.error().fault == PathFault::kOutside ||
                    resolved.error().fault == PathFault::kInvalid)) {
    std::error_code ec;
    const fs::path shown = fs::weakly_canonical(root / rel, ec);  // for the message only
    return std::unexpected(Refuse(pattern, "matches '" + rel + "', which resolves to '" +
                                               shown.string() + "' outside the workspace"));
  }
  if (!resolved) {
    out.warnings.push_back("artifacts.paths: '" + rel + "' cannot be used (" +
                           resolved.error().message + "); skipped");
    return {};
  }
  const fs::path& target = *resolved;
  std::error_code ec;
  const auto type = fs::status(target, ec).type();
  if (type != fs::file_type::regular && type != fs::file_type::directory) {
    out.warnings.push_back("artifacts.paths: '" + rel +
                           "' is not a regular file or directory; skipped");
    return {};
  }
  out.paths.push_back({rel, target, type == fs::file_type::directory});
  return {};
}

}  // namespace

Result<ResolvedArtifacts> ResolveArtifactPaths(const fs::path& workspace,
                                               const std::vector<std::string>& patterns) {
  std::error_code ec;
  const fs::path root = fs::canonical(workspace, ec);
  if (ec) {
    return std::unexpected(
        ErrnoError(ec, "workspace " + workspace.string() + " cannot be resolved"));
  }
  ResolvedArtifacts out{.workspace = root};
  std::set<std::string> seen;
  for (const auto& pattern : patterns) {
    auto comps = Components(pattern);
    if (!comps) return std::unexpected(comps.error());
    std::set<std::string> matches;
    Expand(root, *comps, 0, "", matches);
    if (matches.empty())
      out.warnings.push_back("artifacts.paths: '" + pattern + "' matched nothing");
    for (const auto& rel : matches) {
      if (rel.empty() || !seen.insert(rel).second) continue;  // "**" also matches the root
      if (auto s = Admit(root, pattern, rel, out); !s) return std::unexpected(s.error());
    }
  }
  return out;
}

}  // namespace raibid
