#include "source/mirror.h"

#include "source/git_config_file.h"

namespace raibid {

bool Mirror::Exists() const {
  std::error_code ec;
  return std::filesystem::exists(dir_, ec);
}

// Runs git on the mirror. A command that prints corruption markers counts as failed even when it
// exits 0: git works around a broken pack by fetching again, and the damage would stay.
GitResult<CommandResult> Mirror::Git(std::vector<std::string> args, std::string_view what,
                                     bool remote) {
  args.insert(args.begin(), "--git-dir=" + dir_.string());
  auto result = git_.Run(args, {}, remote ? std::string_view(url_) : std::string_view());
  if (!result) return std::unexpected(Unclassified(result.error()));
  if (LooksCorrupt(result->err)) {
    return std::unexpected(MakeGitError(what, *result, git_.timeout()));
  }
  return *result;
}

GitStatus Mirror::Create() {
  auto init = git_.Run({"init", "--quiet", "--bare", "--template=", "--", dir_.string()});
  if (!init) return std::unexpected(Unclassified(init.error()));
  if (!init->ok()) {
    return std::unexpected(
        MakeGitError("git init of mirror " + dir_.string(), *init, git_.timeout()));
  }
  auto ok = AppendGitConfig(dir_ / "config", {{"gc", {{"auto", "0"}}},
                                              {"maintenance", {{"auto", "false"}}},
                                              {"remote \"origin\"", {{"url", url_}}}});
  if (!ok) return std::unexpected(Unclassified(ok.error()));
  return {};
}

Status Mirror::Remove() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (ec) {
    return std::unexpected(
        ErrnoError(ec, "cannot delete mirror " + dir_.string(), ErrorKind::kInfrastructure, true));
  }
  return {};
}

GitStatus Mirror::Fetch() {
  std::string what = "git fetch of " + url_;
  auto r = Git({"fetch", "--quiet", "--prune", "--no-write-fetch-head", "--", url_,
                "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"},
               what, true);
  if (!r) return std::unexpected(r.error());
  if (!r->ok()) return std::unexpected(MakeGitError(what, *r, git_.timeout()));
  return {};
}

GitStatus Mirror::FetchCommit(std::string_view sha) {
  std::string what = "git fetch of commit " + std::string(sha) + " from " + url_;
  auto r =
      Git({"fetch", "--quiet", "--no-write-fetch-head", "--", url_, std::string(sha)}, what, true);
  if (!r) return std::unexpected(r.error());
  if (!r->ok()) return std::unexpected(MakeGitError(what, *r, git_.timeout()));
  return {};
}

GitResult<bool> Mirror::HasCommit(std::string_view sha) {
  auto r = Git({"cat-file", "-e", "--end-of-options", std::string(sha) + "^{commit}"},
               "git cat-file in mirror " + dir_.string());
  if (!r) return std::unexpected(r.error());
  return r->ok();
}

GitResult<std::string> Mirror::ResolveCommit(std::string_view rev, std::string_view what) {
  auto r =
      Git({"rev-parse", "--verify", "--quiet", "--end-of-options", std::string(rev) + "^{commit}"},
          "git rev-parse in mirror " + dir_.string());
  if (!r) return std::unexpected(r.error());
  std::string sha = r->out.substr(0, r->out.find('\n'));
  if (r->ok() && sha.size() == 40) return sha;
  std::string message = std::string(what) + " not found in " + url_;
  if (r->err.find("ambiguous") != std::string::npos) {
    message = std::string(what) + " is ambiguous in " + url_ + " (give more digits)";
  }
  return std::unexpected(GitError{GitFailure::kNotFound, Error::Make(ErrorKind::kSource, message)});
}

}  // namespace raibid
