#include "cache/cache_plan.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;

class CachePlanPathsTest : public ::testing::Test {
 protected:
  CachePlanPathsTest() {
    fs::create_directories(ws());
    fs::create_directories(home());
    testing::WriteFile(dir_.path() / "outside/file", "host");
  }
  fs::path ws() const { return dir_.path() / "ws"; }
  fs::path home() const { return dir_.path() / "home"; }
  Result<CachePlan> Plan(const std::string& path) {
    pipeline_ = Pipeline{.cache_paths = {path}};
    return MakeCachePlan(
        {.pipeline = &pipeline_, .repository = "r", .workspace = ws(), .home = home()});
  }

  testing::TempDir dir_;
  Pipeline pipeline_;
};

TEST_F(CachePlanPathsTest, ASymlinkOutOfTheWorkspaceIsRefused) {
  fs::create_directory_symlink(dir_.path() / "outside", ws() / "target");
  fs::create_directory_symlink("../outside", ws() / "rel");
  for (const std::string& bad : std::vector<std::string>{"target/", "target/sub", "rel/"}) {
    auto plan = Plan(bad);
    ASSERT_FALSE(plan) << bad;
    EXPECT_EQ(plan.error().kind, ErrorKind::kInvalidPipeline);
    EXPECT_NE(plan.error().message.find("'" + bad + "'"), std::string::npos)
        << plan.error().message;
  }
}

TEST_F(CachePlanPathsTest, ASymlinkOutOfTheHomeIsRefused) {
  fs::create_directory_symlink(dir_.path() / "outside", home() / ".cargo");
  auto plan = Plan("~/.cargo/registry/");
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("~/.cargo/registry/"), std::string::npos);
}

TEST_F(CachePlanPathsTest, MissingPathsAndSymlinksInsideAreKept) {
  fs::create_directories(ws() / "build/target");
  fs::create_directory_symlink("build/target", ws() / "target");
  auto plan = Plan("target/");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->roots[0].paths, std::vector<std::string>{"target"});
  auto missing = Plan("not/yet/built/");
  ASSERT_TRUE(missing) << missing.error().message;
  EXPECT_EQ(missing->roots[0].paths, std::vector<std::string>{"not/yet/built"});
}

}  // namespace
}  // namespace raibid
