#include "source/git_failure.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

// Messages as git 2.39 prints them (collected by damaging mirrors and breaking remotes).
TEST(GitFailureTest, DamagedRepositoryMessagesAreCorruption) {
  for (std::string_view err :
       {"fatal: not a git repository: '/cache/git/x.git'",
        "fatal: bad config line 1 in file ./config",
        "fatal: loose object 5f18dd (stored in ./objects/5f/18dd) is corrupt",
        "error: packfile ./objects/pack/pack-48e1.pack does not match index",
        "error: file ./objects/pack/pack-48e1.pack is far too short to be a packfile",
        "fatal: unexpected line in ./packed-refs: xx",
        "fatal: remote did not send all necessary objects", "fatal: bad object refs/heads/main",
        "fatal: reference is not a tree: 5f18dd37abeeb1ede8a96a1e06c02807f003fa3a"}) {
    EXPECT_EQ(ClassifyGitFailure(err), GitFailure::kCorrupt) << err;
  }
}

TEST(GitFailureTest, RemoteProblemsAreNotCorruption) {
  EXPECT_EQ(ClassifyGitFailure("fatal: repository 'http://h/a.git/' not found"),
            GitFailure::kNotFound);
  EXPECT_EQ(ClassifyGitFailure("fatal: '/srv/x' does not appear to be a git repository\n"
                               "fatal: Could not read from remote repository."),
            GitFailure::kNotFound);
  EXPECT_EQ(ClassifyGitFailure("fatal: Authentication failed for 'http://h/a.git/'"),
            GitFailure::kAuth);
  EXPECT_EQ(ClassifyGitFailure(
                "fatal: could not read Username for 'http://h': terminal prompts disabled"),
            GitFailure::kAuth);
  EXPECT_EQ(ClassifyGitFailure("fatal: unable to access 'http://127.0.0.1:1/a.git/': Failed to "
                               "connect to 127.0.0.1 port 1: Connection refused"),
            GitFailure::kTransport);
}

TEST(GitFailureTest, ErrorCarriesTheTailOfStderrAndRetryability) {
  CommandResult failed{.exit_code = 128,
                       .err =
                           "error: x\nerror: x\nfatal: unable to access 'u': "
                           "Connection refused\n"};
  GitError e = MakeGitError("git fetch of u", failed, std::chrono::seconds(5));
  EXPECT_EQ(e.error.kind, ErrorKind::kSource);
  EXPECT_TRUE(e.error.retryable);
  EXPECT_EQ(e.error.message,
            "git fetch of u failed: error: x; fatal: unable to access 'u': Connection refused");

  CommandResult missing{.exit_code = 128, .err = "fatal: repository 'u' not found\n"};
  EXPECT_FALSE(MakeGitError("git fetch of u", missing, std::chrono::seconds(5)).error.retryable);
}

TEST(GitFailureTest, TailKeepsTheCauseAndDropsTheAdvice) {
  EXPECT_EQ(TailOfStderr("fatal: '/x' does not appear to be a git repository\n"
                         "fatal: Could not read from remote repository.\n\n"
                         "Please make sure you have the correct access rights\n"
                         "and the repository exists.\n"),
            "fatal: '/x' does not appear to be a git repository; "
            "fatal: Could not read from remote repository.");
  EXPECT_EQ(TailOfStderr("warning: a\nb\n"), "warning: a; b");
}

TEST(GitFailureTest, TimeoutIsRetryableAndSaysSo) {
  CommandResult slow{.exit_code = 137, .timed_out = true};
  GitError e = MakeGitError("git fetch of u", slow, std::chrono::seconds(600));
  EXPECT_TRUE(e.error.retryable);
  EXPECT_EQ(e.error.message, "git fetch of u timed out after 600 s");
}

}  // namespace
}  // namespace raibid
