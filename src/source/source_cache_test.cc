// SourceCache against real git over file:// URLs.
#include "source/source_cache.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "source/repository_url.h"
#include "support/git_repo.h"
#include "support/recording_sink.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using testing::GitRepo;
using testing::ReadFile;
using testing::RecordingSink;
using testing::RunGit;
using testing::TempDir;

class SourceCacheTest : public ::testing::Test {
 protected:
  SourceCacheTest() {
    first_ = repo_.Commit({{"README", "one\n"}}, "first");
    second_ = repo_.Commit({{"README", "two\n"}}, "second");
  }

  std::filesystem::path NewWorkspace() {
    return tmp_.path() / "ws" / std::to_string(++workspaces_);
  }

  Result<CheckoutResult> Checkout(SourceRequest request) {
    if (request.url.empty()) request.url = repo_.file_url();
    if (request.workspace.empty()) request.workspace = NewWorkspace();
    last_workspace_ = request.workspace;
    return cache_.Checkout(request, sink_);
  }

  std::string Head(const std::filesystem::path& ws) {
    std::string out = RunGit(ws, {"rev-parse", "HEAD"});
    return out.substr(0, out.find('\n'));
  }

  TempDir tmp_;
  GitRepo repo_{tmp_.path() / "remote" / "repo"};
  SourceCache cache_{tmp_.path() / "cache", std::nullopt, std::chrono::seconds(30)};
  RecordingSink sink_;
  std::string first_, second_;
  std::filesystem::path last_workspace_;
  int workspaces_ = 0;
};

TEST_F(SourceCacheTest, ChecksOutFullCommitDetachedWithOriginSetToUrl) {
  auto r = Checkout({.commit = first_});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->commit_sha, first_);
  EXPECT_EQ(r->ref_description, "commit " + first_);
  EXPECT_EQ(ReadFile(last_workspace_ / "README"), "one\n");
  EXPECT_EQ(Head(last_workspace_), first_);
  EXPECT_EQ(RunGit(last_workspace_, {"remote", "get-url", "origin"}), repo_.file_url() + "\n");
  EXPECT_EQ(RunGit(last_workspace_, {"status", "--porcelain"}), "");
  EXPECT_NE(sink_.Lines().find("checkout/sys: checked out " + first_), std::string::npos)
      << sink_.Lines();
}

TEST_F(SourceCacheTest, ChecksOutAbbreviatedCommit) {
  auto r = Checkout({.commit = first_.substr(0, 8)});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->commit_sha, first_);
  EXPECT_EQ(ReadFile(last_workspace_ / "README"), "one\n");
}

TEST_F(SourceCacheTest, ChecksOutBranchTip) {
  repo_.Branch("feature");
  repo_.Switch("feature");
  std::string tip = repo_.Commit({{"feature.txt", "f\n"}});
  repo_.Switch("main");
  auto r = Checkout({.branch = "feature"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->commit_sha, tip);
  EXPECT_EQ(r->ref_description, "branch feature");
  EXPECT_TRUE(std::filesystem::exists(last_workspace_ / "feature.txt"));
  EXPECT_NE(sink_.Lines().find("checked out " + tip + " (branch feature)"), std::string::npos);
}

TEST_F(SourceCacheTest, ChecksOutAnnotatedTagAsItsCommit) {
  repo_.Tag("v1.0", /*annotated=*/true);
  repo_.Commit({{"README", "three\n"}});
  auto r = Checkout({.tag = "v1.0"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->commit_sha, second_);
  EXPECT_EQ(ReadFile(last_workspace_ / "README"), "two\n");
}

TEST_F(SourceCacheTest, CommitWinsOverBranch) {
  auto r = Checkout({.commit = first_, .branch = "main"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->commit_sha, first_);
}

TEST_F(SourceCacheTest, SecondCheckoutOfBranchFindsCommitPushedSinceTheFirst) {
  ASSERT_TRUE(Checkout({.branch = "main"}));
  std::string third = repo_.Commit({{"README", "three\n"}});
  auto r = Checkout({.branch = "main"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->commit_sha, third);
  EXPECT_EQ(ReadFile(last_workspace_ / "README"), "three\n");
}

TEST_F(SourceCacheTest, KnownFullShaNeedsNoFetch) {
  ASSERT_TRUE(Checkout({.branch = "main"}));
  // The remote is gone: only the mirror can provide the commit now.
  std::filesystem::remove_all(repo_.path());
  auto r = Checkout({.commit = first_});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(ReadFile(last_workspace_ / "README"), "one\n");
  EXPECT_NE(sink_.Lines().find("is in the mirror; not fetching"), std::string::npos)
      << sink_.Lines();
}

TEST_F(SourceCacheTest, CommitOnNoBranchIsFetchedBySha) {
  repo_.Branch("pr");
  repo_.Switch("pr");
  std::string head = repo_.Commit({{"pr.txt", "pr\n"}});
  repo_.Switch("main");
  repo_.Git({"update-ref", "refs/pull/1/head", head});
  repo_.Git({"branch", "-D", "pr"});
  auto r = Checkout({.commit = head});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(std::filesystem::exists(last_workspace_ / "pr.txt"));
}

TEST_F(SourceCacheTest, ConcurrentCheckoutsOfOneRepositoryAllSucceed) {
  constexpr int kThreads = 6;
  std::vector<Result<CheckoutResult>> results(kThreads,
                                              Fail(ErrorKind::kInfrastructure, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    SourceRequest request{.url = repo_.file_url(), .workspace = NewWorkspace()};
    (i % 2 ? request.commit : request.branch) = i % 2 ? first_ : "main";
    threads.emplace_back(
        [this, &results, i, request] { results[i] = cache_.Checkout(request, sink_); });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(results[i]) << results[i].error().message;
    EXPECT_EQ(results[i]->commit_sha, i % 2 ? first_ : second_);
  }
  EXPECT_EQ(
      RunGit(tmp_.path() / "cache" / MirrorDirName(repo_.file_url()), {"fsck", "--no-progress"}),
      "");
}

TEST_F(SourceCacheTest, ConcurrentCheckoutsFromSeveralProcessesAllSucceed) {
  constexpr int kProcesses = 4;
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    auto ws = NewWorkspace();
    pid_t pid = fork();
    if (pid == 0) {
      // Each process has its own SourceCache on the shared root, as separate agents would.
      SourceCache cache(tmp_.path() / "cache", std::nullopt, std::chrono::seconds(30));
      RecordingSink sink;
      auto r = cache.Checkout({.url = repo_.file_url(), .branch = "main", .workspace = ws}, sink);
      _exit(r && r->commit_sha == second_ && ReadFile(ws / "README") == "two\n" ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
}

TEST_F(SourceCacheTest, UnknownBranchIsAClearNonRetryableSourceError) {
  auto r = Checkout({.branch = "nope"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kSource);
  EXPECT_FALSE(r.error().retryable);
  EXPECT_EQ(r.error().message, "branch nope not found in " + repo_.file_url());
  EXPECT_FALSE(std::filesystem::exists(last_workspace_));
}

TEST_F(SourceCacheTest, UnknownCommitIsAClearNonRetryableSourceError) {
  auto r = Checkout({.commit = std::string(40, 'e')});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kSource);
  EXPECT_FALSE(r.error().retryable);
  EXPECT_EQ(r.error().message,
            "commit " + std::string(40, 'e') + " not found in " + repo_.file_url());
}

TEST_F(SourceCacheTest, MissingRepositoryFailsWithGitsMessage) {
  auto r = Checkout({.url = "file://" + (tmp_.path() / "absent").string(), .branch = "main"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kSource);
  EXPECT_FALSE(r.error().retryable);
  EXPECT_NE(r.error().message.find("does not appear to be a git repository"), std::string::npos)
      << r.error().message;
}

TEST_F(SourceCacheTest, OptionLikeBranchIsRefusedBeforeGitRuns) {
  auto marker = tmp_.path() / "pwned";
  for (SourceRequest request :
       {SourceRequest{.branch = "--upload-pack=touch " + marker.string()},
        SourceRequest{.tag = "--upload-pack=touch " + marker.string()},
        SourceRequest{.commit = "--upload-pack=touch " + marker.string()}}) {
    auto r = Checkout(request);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidJob);
  }
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() / "cache"));
}

TEST_F(SourceCacheTest, ExistingWorkspaceIsNotTouched) {
  auto ws = NewWorkspace();
  testing::WriteFile(ws / "keep", "mine");
  auto r = Checkout({.branch = "main", .workspace = ws});
  ASSERT_FALSE(r);
  EXPECT_EQ(ReadFile(ws / "keep"), "mine");
  EXPECT_FALSE(std::filesystem::exists(ws / ".git"));
}

TEST_F(SourceCacheTest, WorkspaceCommitsDoNotReachTheMirror) {
  ASSERT_TRUE(Checkout({.branch = "main"}));
  RunGit(last_workspace_, {"switch", "--quiet", "-c", "local"});
  testing::WriteFile(last_workspace_ / "new.txt", "x");
  RunGit(last_workspace_, {"add", "new.txt"});
  RunGit(last_workspace_, {"commit", "--quiet", "-m", "local"}, 99);
  auto mirror = tmp_.path() / "cache" / MirrorDirName(repo_.file_url());
  EXPECT_EQ(RunGit(mirror, {"for-each-ref", "--format=%(refname)"}), "refs/heads/main\n");
}

}  // namespace
}  // namespace raibid
