#include "support/git_repo.h"

#include <stdexcept>

#include "process/run_command.h"
#include "support/temp_dir.h"

namespace raibid::testing {

std::string RunGit(const std::filesystem::path& cwd, const std::vector<std::string>& args,
                   int commit_index) {
  // A distinct, fixed date per commit keeps SHAs reproducible yet different for equal trees.
  std::string date = std::to_string(1700000000 + commit_index) + " +0000";
  CommandSpec spec;
  spec.argv = {"git"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = cwd;
  spec.timeout = std::chrono::seconds(60);
  spec.unset_env = {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CONFIG_PARAMETERS"};
  spec.env = {{"GIT_CONFIG_NOSYSTEM", "1"},
              {"GIT_CONFIG_GLOBAL", "/dev/null"},
              {"GIT_AUTHOR_NAME", "Test"},
              {"GIT_AUTHOR_EMAIL", "test@example.com"},
              {"GIT_COMMITTER_NAME", "Test"},
              {"GIT_COMMITTER_EMAIL", "test@example.com"},
              {"GIT_AUTHOR_DATE", date},
              {"GIT_COMMITTER_DATE", date},
              {"LC_ALL", "C"}};
  auto result = RunCommand(spec);
  if (!result) throw std::runtime_error("git: " + result.error().message);
  if (!result->ok()) {
    std::string cmd = "git";
    for (const auto& a : args) cmd += " " + a;
    throw std::runtime_error(cmd + " failed: " + result->err);
  }
  return result->out;
}

GitRepo::GitRepo(std::filesystem::path path) : path_(std::move(path)) {
  std::filesystem::create_directories(path_);
  Git({"init", "--quiet", "--initial-branch=main"});
}

std::string GitRepo::Git(const std::vector<std::string>& args) const {
  return RunGit(path_, args, commits_);
}

std::string GitRepo::Commit(const std::map<std::string, std::string>& files,
                            const std::string& message) {
  for (const auto& [name, content] : files) WriteFile(path_ / name, content);
  ++commits_;
  Git({"add", "--all"});
  Git({"commit", "--quiet", "--allow-empty", "-m", message});
  return RevParse("HEAD");
}

void GitRepo::Branch(const std::string& name) { Git({"branch", "--", name}); }

void GitRepo::Switch(const std::string& name) { Git({"switch", "--quiet", name}); }

void GitRepo::Tag(const std::string& name, bool annotated) {
  if (annotated) {
    Git({"tag", "-a", "-m", "tag " + name, name});
  } else {
    Git({"tag", name});
  }
}

std::string GitRepo::RevParse(const std::string& rev) const {
  std::string out = Git({"rev-parse", "--verify", rev});
  return out.substr(0, out.find('\n'));
}

}  // namespace raibid::testing
