#include <gtest/gtest.h>

#include "source/source_cache.h"
#include "support/git_repo.h"
#include "support/recording_sink.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

TEST(SourceCacheMaintain, PacksMirrorsAndKeepsThemUsable) {
  testing::TempDir dir;
  testing::GitRepo repo(dir.path() / "repo");
  const std::string first = repo.Commit({{"a", "1"}});
  SourceCache cache(dir.path() / "git", std::nullopt);
  testing::RecordingSink sink;
  ASSERT_TRUE(cache.Checkout(
      {.url = repo.file_url(), .branch = "main", .workspace = dir.path() / "w1"}, sink));
  repo.Commit({{"a", "2"}});
  ASSERT_TRUE(cache.Checkout(
      {.url = repo.file_url(), .branch = "main", .workspace = dir.path() / "w2"}, sink));
  auto maintained = cache.Maintain();
  ASSERT_TRUE(maintained);
  EXPECT_EQ(*maintained, 1);
  // The older workspace still reads its objects, and new checkouts work.
  EXPECT_EQ(testing::RunGit(dir.path() / "w1", {"cat-file", "-p", first + ":a"}), "1");
  auto again = cache.Checkout(
      {.url = repo.file_url(), .commit = first, .workspace = dir.path() / "w3"}, sink);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(testing::ReadFile(dir.path() / "w3/a"), "1");
}

}  // namespace
}  // namespace raibid
