// SourceCache against a real smart-HTTP server (nginx + fcgiwrap + git-http-backend), with and
// without basic auth, the way the agent meets Gitea.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include "source/repository_url.h"
#include "source/source_cache.h"
#include "support/git_http_server.h"
#include "support/git_repo.h"
#include "support/recording_sink.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;
using testing::GitHttpServer;
using testing::GitRepo;
using testing::ReadFile;
using testing::RecordingSink;
using testing::TempDir;
using testing::WriteFile;

constexpr const char* kToken = "tok-7d1e9c4b2a-secret";

class SourceCacheHttpTest : public ::testing::Test {
 protected:
  SourceCacheHttpTest() {
    first_ = repo_.Commit({{"README", "one\n"}}, "first");
    repo_.Tag("v1");
    second_ = repo_.Commit({{"README", "two\n"}}, "second");
    WriteFile(token_file_, std::string(kToken) + "\n");
    // Records every git command line and environment the cache uses.
    WriteFile(wrapper_, "#!/bin/sh\nprintf '%s\\n' \"$*\" >> " +
                            (tmp_.path() / "argv.log").string() + "\nenv >> " +
                            (tmp_.path() / "env.log").string() + "\nexec git \"$@\"\n");
    fs::permissions(wrapper_, fs::perms::owner_all);
  }

  std::unique_ptr<SourceCache> MakeCache(std::optional<GitCredentials> credentials) {
    return std::make_unique<SourceCache>(tmp_.path() / "cache", std::move(credentials),
                                         std::chrono::seconds(30), wrapper_.string());
  }
  GitCredentials Credentials(fs::path token_file) {
    return GitCredentials{.username = "raibid", .token_file = std::move(token_file)};
  }
  std::string AuthUrl() { return server_.auth_base_url() + "/owner/name.git"; }
  std::string AnonUrl() { return server_.anon_base_url() + "/owner/name.git"; }

  Result<CheckoutResult> Checkout(SourceCache& cache, SourceRequest request) {
    request.workspace = tmp_.path() / "ws" / std::to_string(++workspaces_);
    return cache.Checkout(request, sink_);
  }
  fs::path LastWorkspace() { return tmp_.path() / "ws" / std::to_string(workspaces_); }
  size_t Requests() {
    std::string log = server_.access_log();
    return std::count(log.begin(), log.end(), '\n');
  }

  TempDir tmp_;
  GitRepo repo_{tmp_.path() / "srv" / "owner" / "name.git"};
  GitHttpServer server_{tmp_.path() / "srv", "raibid", kToken};
  fs::path token_file_ = tmp_.path() / "secrets" / "token";
  fs::path wrapper_ = tmp_.path() / "git-wrapper";
  RecordingSink sink_;
  std::string first_, second_;
  int workspaces_ = 0;
};

TEST_F(SourceCacheHttpTest, AnonymousCheckoutAtCommitBranchAndTag) {
  auto cache = MakeCache(std::nullopt);
  auto by_commit = Checkout(*cache, {.url = AnonUrl(), .commit = first_.substr(0, 10)});
  ASSERT_TRUE(by_commit) << by_commit.error().message;
  EXPECT_EQ(by_commit->commit_sha, first_);
  EXPECT_EQ(ReadFile(LastWorkspace() / "README"), "one\n");
  auto by_branch = Checkout(*cache, {.url = AnonUrl(), .branch = "main"});
  ASSERT_TRUE(by_branch) << by_branch.error().message;
  EXPECT_EQ(by_branch->commit_sha, second_);
  auto by_tag = Checkout(*cache, {.url = AnonUrl(), .tag = "v1"});
  ASSERT_TRUE(by_tag) << by_tag.error().message;
  EXPECT_EQ(by_tag->commit_sha, first_);
}

TEST_F(SourceCacheHttpTest, NewCommitIsFetchedAndKnownShaCostsNoRequest) {
  auto cache = MakeCache(std::nullopt);
  ASSERT_TRUE(Checkout(*cache, {.url = AnonUrl(), .branch = "main"}));
  std::string third = repo_.Commit({{"README", "three\n"}});
  auto r = Checkout(*cache, {.url = AnonUrl(), .branch = "main"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->commit_sha, third);
  size_t before = Requests();
  ASSERT_TRUE(Checkout(*cache, {.url = AnonUrl(), .commit = first_}));
  EXPECT_EQ(Requests(), before);
  EXPECT_EQ(ReadFile(LastWorkspace() / "README"), "one\n");
}

TEST_F(SourceCacheHttpTest, RightCredentialsWorkAndTheTokenAppearsNowhere) {
  auto cache = MakeCache(Credentials(token_file_));
  auto r = Checkout(*cache, {.url = AuthUrl(), .branch = "main"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->commit_sha, second_);
  auto mirror = tmp_.path() / "cache" / MirrorDirName(AuthUrl());
  for (const std::string& text :
       {sink_.Lines(), ReadFile(tmp_.path() / "argv.log"), ReadFile(tmp_.path() / "env.log"),
        ReadFile(LastWorkspace() / ".git" / "config"), ReadFile(mirror / "config")}) {
    EXPECT_EQ(text.find(kToken), std::string::npos) << text;
  }
  EXPECT_NE(ReadFile(tmp_.path() / "argv.log").find("fetch"), std::string::npos);
  struct stat home;
  ASSERT_EQ(stat((tmp_.path() / "cache" / ".git-home").c_str(), &home), 0);
  EXPECT_EQ(home.st_mode & 0777, 0700u);
}

TEST_F(SourceCacheHttpTest, WrongTokenFailsFastWithoutRevealingIt) {
  WriteFile(token_file_, "wrong-token-3b8f1c\n");
  auto cache = MakeCache(Credentials(token_file_));
  auto start = std::chrono::steady_clock::now();
  auto r = Checkout(*cache, {.url = AuthUrl(), .branch = "main"});
  ASSERT_FALSE(r);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_EQ(r.error().kind, ErrorKind::kSource);
  EXPECT_FALSE(r.error().retryable);
  EXPECT_NE(r.error().message.find("Authentication failed"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().message.find("wrong-token-3b8f1c"), std::string::npos);
  EXPECT_EQ(sink_.Lines().find("wrong-token-3b8f1c"), std::string::npos);
}

TEST_F(SourceCacheHttpTest, MissingCredentialsFailFastInsteadOfPrompting) {
  auto cache = MakeCache(std::nullopt);
  auto r = Checkout(*cache, {.url = AuthUrl(), .branch = "main"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kSource);
  EXPECT_FALSE(r.error().retryable);
  EXPECT_NE(r.error().message.find("terminal prompts disabled"), std::string::npos)
      << r.error().message;
}

TEST_F(SourceCacheHttpTest, CredentialsAreOfferedOnlyUnderTheirPrefix) {
  GitCredentials credentials = Credentials(token_file_);
  credentials.url_prefix = "https://gitea.example.com/";
  auto cache = MakeCache(credentials);
  auto r = Checkout(*cache, {.url = AuthUrl(), .branch = "main"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("terminal prompts disabled"), std::string::npos)
      << r.error().message;
}

TEST_F(SourceCacheHttpTest, UnreadableTokenFileIsAnInfrastructureError) {
  auto cache = MakeCache(Credentials(tmp_.path() / "absent-token"));
  auto r = Checkout(*cache, {.url = AuthUrl(), .branch = "main"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kInfrastructure);
  EXPECT_NE(r.error().message.find("token_file"), std::string::npos);
}

TEST_F(SourceCacheHttpTest, TokenInGitsOwnMessagesIsMasked) {
  auto cache = MakeCache(Credentials(token_file_));
  std::string url = server_.auth_base_url() + "/" + kToken + "/name.git";
  auto r = Checkout(*cache, {.url = url, .branch = "main"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.find(kToken), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("[MASKED]"), std::string::npos) << r.error().message;
  EXPECT_EQ(sink_.Lines().find(kToken), std::string::npos) << sink_.Lines();
}

TEST_F(SourceCacheHttpTest, MissingRepositoryIsNotRetryable) {
  auto cache = MakeCache(std::nullopt);
  auto r =
      Checkout(*cache, {.url = server_.anon_base_url() + "/owner/absent.git", .branch = "main"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kSource);
  EXPECT_FALSE(r.error().retryable);
  EXPECT_NE(r.error().message.find("not found"), std::string::npos) << r.error().message;
}

TEST_F(SourceCacheHttpTest, UnreachableServerIsRetryableWithGitsMessage) {
  auto cache = MakeCache(std::nullopt);
  std::string url = "http://127.0.0.1:" + std::to_string(testing::FreePort()) + "/owner/name.git";
  auto r = Checkout(*cache, {.url = url, .branch = "main"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kSource);
  EXPECT_TRUE(r.error().retryable);
  EXPECT_NE(r.error().message.find("Failed to connect"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(url), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace raibid
