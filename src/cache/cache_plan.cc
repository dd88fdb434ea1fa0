#include "cache/cache_plan.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "util/path_guard.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;

struct Preset {
  std::vector<std::string> paths;
  std::vector<std::pair<std::string, std::string>> env;  // NAME -> path under the home
  std::vector<std::string> lock_files;
};

Preset PresetFor(const std::string& language) {
  if (language == "rust") {
    return {{"target/", "~/.cargo/registry/", "~/.cargo/git/"},
            {{"CARGO_HOME", ".cargo"}},
            {"Cargo.lock"}};
  }
  if (language == "node") {
    return {{"~/.npm/"}, {{"npm_config_cache", ".npm"}}, {"package-lock.json", "yarn.lock"}};
  }
  if (language == "go") {
    return {{"~/go/pkg/mod/", "~/.cache/go-build/"},
            {{"GOMODCACHE", "go/pkg/mod"}, {"GOCACHE", ".cache/go-build"}},
            {"go.sum"}};
  }
  if (language == "python") {
    return {{"~/.cache/pip/"},
            {{"PIP_CACHE_DIR", ".cache/pip"}},
            {"requirements.txt", "poetry.lock", "Pipfile.lock"}};
  }
  return {};
}

Error Escapes(const std::string& raw, const std::string& why) {
  return Error::Make(ErrorKind::kInvalidPipeline,
                     "cache.paths: " + QuotePath(raw) +
                         " must stay inside the workspace or under ~/" +
                         (why.empty() ? "" : " (" + why + ")"));
}

// "target/" -> ("w", "target"); "~/.cargo/" -> ("h", ".cargo"); escapes are errors: lexical
// ones always, and, when the root exists, symlinks (already there) that lead out of it.
Result<std::pair<std::string, std::string>> Classify(const std::string& raw,
                                                     const fs::path& workspace,
                                                     const fs::path& home) {
  std::string path = raw;
  std::string prefix = "w";
  if (path == "~" || path.starts_with("~/")) {
    prefix = "h";
    path = path.size() > 2 ? path.substr(2) : "";
  }
  if (CheckRelativePath(path)) return std::unexpected(Escapes(raw, ""));
  const fs::path normal = fs::path(path).lexically_normal();
  std::string text = normal.string();
  while (!text.empty() && text.back() == '/') text.pop_back();
  if (raw.empty() || normal.is_absolute() || text.empty() || text == "." || text == ".." ||
      text.starts_with("../")) {
    return std::unexpected(Escapes(raw, ""));
  }
  const fs::path& root = prefix == "w" ? workspace : home;
  std::error_code ec;
  if (!root.empty() && fs::is_directory(root, ec)) {
    auto resolved = ResolveBeneath(root, text, kAllowMissing);
    if (!resolved && resolved.error().fault == PathFault::kOutside) {
      return std::unexpected(Escapes(raw, "a symlink leads out"));
    }
  }
  return std::pair{prefix, text};
}

std::string LockHash(const fs::path& workspace, const std::vector<std::string>& lock_files) {
  std::string all;
  for (const auto& name : lock_files) {
    std::ifstream in(workspace / name, std::ios::binary);
    if (!in) continue;
    std::stringstream ss;
    ss << in.rdbuf();
    all += name + '\0' + ss.str() + '\0';
  }
  return all.empty() ? "no-lock-file" : "lock-" + HashName(all);
}

}  // namespace

bool CachePlan::empty() const {
  for (const auto& r : roots) {
    if (!r.paths.empty()) return false;
  }
  return true;
}

Result<CachePlan> MakeCachePlan(const CachePlanInput& in) {
  const Pipeline& p = *in.pipeline;
  const Preset preset = PresetFor(p.language);
  CachePlan plan;
  plan.roots = {{"w", in.workspace, {}}, {"h", in.home, {}}};
  std::vector<std::string> paths = preset.paths;
  paths.insert(paths.end(), p.cache_paths.begin(), p.cache_paths.end());
  for (const auto& raw : paths) {
    auto where = Classify(raw, in.workspace, in.home);
    if (!where) return std::unexpected(where.error());
    auto& list = plan.roots[where->first == "w" ? 0 : 1].paths;
    if (std::find(list.begin(), list.end(), where->second) == list.end())
      list.push_back(where->second);
  }
  for (const auto& [name, rel] : preset.env) plan.env[name] = (in.home / rel).string();
  plan.policy = p.cache_policy == "pull"   ? CachePolicy::kPull
                : p.cache_policy == "push" ? CachePolicy::kPush
                                           : CachePolicy::kPullPush;
  const std::string branch = in.branch.empty() ? "detached" : in.branch;
  if (!p.cache_key.empty()) {
    const std::string scope = in.repository + "#key";
    plan.save_key = {scope, p.cache_key};
    plan.lookup.keys.push_back(plan.save_key);
    for (const auto& k : p.cache_fallback_keys) plan.lookup.keys.push_back({scope, k});
    return plan;
  }
  const std::string scope = in.repository + "#branch:" + branch;
  plan.save_key = {scope, LockHash(in.workspace, preset.lock_files)};
  plan.lookup.keys.push_back(plan.save_key);
  for (const auto& k : p.cache_fallback_keys) plan.lookup.keys.push_back({scope, k});
  plan.lookup.fallback_scopes.push_back(scope);  // same branch, other lock files
  if (branch != in.default_branch) {
    plan.lookup.fallback_scopes.push_back(in.repository + "#branch:" + in.default_branch);
  }
  return plan;
}

uint64_t Fingerprint(const std::vector<ArchiveRoot>& roots) {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](uint64_t v) {
    h ^= v;
    h *= 1099511628211ull;
  };
  std::error_code ec;
  for (const auto& root : roots) {
    for (const auto& rel : root.paths) {
      const fs::path top = root.directory / rel;
      if (!fs::exists(top, ec)) continue;
      for (auto it = fs::recursive_directory_iterator(top, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        mix(std::hash<std::string>{}(it->path().string()));
        if (it->is_regular_file(ec)) {
          mix(it->file_size(ec));
          mix(static_cast<uint64_t>(it->last_write_time(ec).time_since_epoch().count()));
        }
      }
    }
  }
  return h;
}

}  // namespace raibid
