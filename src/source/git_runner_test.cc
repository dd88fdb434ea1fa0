#include "source/git_runner.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "support/temp_dir.h"

namespace raibid {
namespace {

using testing::TempDir;
using testing::WriteFile;

// Sets an environment variable for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { old_ ? setenv(name_, old_->c_str(), 1) : unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(MaskSecretTest, ReplacesEveryOccurrence) {
  EXPECT_EQ(MaskSecret("a tok b tok", "tok"), "a [MASKED] b [MASKED]");
  EXPECT_EQ(MaskSecret("nothing here", ""), "nothing here");
  EXPECT_EQ(MaskSecret("toktok", "tok"), "[MASKED][MASKED]");
}

TEST(GitRunnerTest, HostConfigurationAndEnvironmentDoNotReachGit) {
  TempDir tmp;
  WriteFile(tmp.path() / "xdg" / "git" / "config", "[user]\n\tname = leaked-xdg\n");
  WriteFile(tmp.path() / "home" / ".gitconfig", "[credential]\n\thelper = leaked-helper\n");
  ScopedEnv home("HOME", (tmp.path() / "home").string());
  ScopedEnv xdg("XDG_CONFIG_HOME", (tmp.path() / "xdg").string());
  ScopedEnv params("GIT_CONFIG_PARAMETERS", "'user.email'='leaked-param'");
  ScopedEnv dir("GIT_DIR", (tmp.path() / "elsewhere").string());
  GitRunner git(tmp.path() / "private", std::nullopt, std::chrono::seconds(10));
  auto r = git.Run({"config", "--list"}, tmp.path());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->out.find("leaked"), std::string::npos) << r->out;
}

TEST(GitRunnerTest, AskpassAnswersUsernameAndTokenFromItsFile) {
  TempDir tmp;
  WriteFile(tmp.path() / "token", "s3cret-token\n");
  GitCredentials credentials{.username = "bot", .token_file = tmp.path() / "token"};
  GitRunner git(tmp.path() / "private", credentials, std::chrono::seconds(10));
  ASSERT_TRUE(git.Prepare());
  auto ask = [&](const std::string& prompt) {
    CommandSpec spec{.argv = {(tmp.path() / "private" / "askpass.sh").string(), prompt},
                     .env = {{"RAIBID_GIT_USERNAME", "bot"},
                             {"RAIBID_GIT_TOKEN_FILE", (tmp.path() / "token").string()}}};
    return RunCommand(spec).value().out;
  };
  EXPECT_EQ(ask("Username for 'http://h': "), "bot\n");
  EXPECT_EQ(ask("Password for 'http://bot@h': "), "s3cret-token\n");
  EXPECT_EQ(git.Mask("x s3cret-token y"), "x [MASKED] y");
}

TEST(GitRunnerTest, CredentialsGoOnlyToHttpUrlsUnderThePrefix) {
  TempDir tmp;
  GitCredentials credentials{.token_file = tmp.path() / "token", .url_prefix = "https://gitea/"};
  GitRunner git(tmp.path() / "private", credentials, std::chrono::seconds(10));
  EXPECT_TRUE(git.OffersCredentialsTo("https://gitea/a/b.git"));
  EXPECT_FALSE(git.OffersCredentialsTo("https://evil/a/b.git"));
  EXPECT_FALSE(git.OffersCredentialsTo("file:///srv/a.git"));
  GitRunner none(tmp.path() / "private", std::nullopt, std::chrono::seconds(10));
  EXPECT_FALSE(none.OffersCredentialsTo("https://gitea/a/b.git"));
}

TEST(GitRunnerTest, TimeoutKillsGit) {
  TempDir tmp;
  GitRunner git(tmp.path() / "private", std::nullopt, std::chrono::milliseconds(200));
  // `git daemon` with an unused port runs until killed.
  auto r = git.Run({"daemon", "--listen=127.0.0.1", "--port=" + std::to_string(testing::FreePort()),
                    "--base-path=" + tmp.path().string()});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->timed_out);
}

}  // namespace
}  // namespace raibid
