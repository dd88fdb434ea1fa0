// A git repository for tests, made with the real git: commits with a fixed author, branches,
// tags. Git runs without the host's configuration. Failures throw std::runtime_error with git's
// stderr (a test helper: the test fails with the message).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace raibid::testing {

class GitRepo {
 public:
  // Creates an empty non-bare repository (default branch "main") at `path`, creating the
  // directory. Serving it over HTTP works too: git-http-backend finds `path`/.git.
  explicit GitRepo(std::filesystem::path path);

  const std::filesystem::path& path() const { return path_; }
  std::string file_url() const { return "file://" + path_.string(); }

  // Writes `files` (path relative to the work tree -> content), stages everything and commits on
  // the current branch. Returns the new commit's full SHA.
  std::string Commit(const std::map<std::string, std::string>& files,
                     const std::string& message = "change");
  // Creates branch `name` at HEAD without switching to it.
  void Branch(const std::string& name);
  // Switches the work tree to `name` (an existing branch).
  void Switch(const std::string& name);
  // Creates tag `name` at HEAD; annotated when `annotated`.
  void Tag(const std::string& name, bool annotated = false);
  // The full SHA `rev` names.
  std::string RevParse(const std::string& rev) const;

  // Runs `git <args>` in the work tree; returns stdout.
  std::string Git(const std::vector<std::string>& args) const;

 private:
  std::filesystem::path path_;
  int commits_ = 0;
};

// Runs `git <args>` in `cwd` with the fixed author and no host configuration; returns stdout.
// Throws std::runtime_error naming the command and git's stderr when it fails.
std::string RunGit(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                   int commit_index = 0);

}  // namespace raibid::testing
