#include "registry/artifact_paths.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;

class ArtifactPathsTest : public ::testing::Test {
 protected:
  ArtifactPathsTest() {
    for (const char* f : {"dist/app", "dist/lib/a.so", "dist/lib/b.so", "reports/unit.xml",
                          "reports/it.xml", "reports/.hidden.xml", "deep/x/y/z.log", "top.log"}) {
      testing::WriteFile(ws() / f, f);
    }
  }
  const fs::path& ws() const { return dir_.path(); }
  std::vector<std::string> Relative(const std::vector<std::string>& patterns) {
    auto r = ResolveArtifactPaths(ws(), patterns);
    EXPECT_TRUE(r) << r.error().message;
    std::vector<std::string> out;
    if (r)
      for (const auto& p : r->paths) out.push_back(p.relative + (p.directory ? "/" : ""));
    return out;
  }
  Error Refusal(const std::vector<std::string>& patterns) {
    auto r = ResolveArtifactPaths(ws(), patterns);
    EXPECT_FALSE(r);
    return r ? Error{} : r.error();
  }

  testing::TempDir dir_;
};

TEST_F(ArtifactPathsTest, FilesAndDirectoriesAsNamed) {
  EXPECT_EQ(Relative({"dist/app", "./dist/lib/", "reports"}),
            (std::vector<std::string>{"dist/app", "dist/lib/", "reports/"}));
}

TEST_F(ArtifactPathsTest, GlobsMatchWithinANameAndSkipHiddenFiles) {
  EXPECT_EQ(Relative({"reports/*.xml"}),
            (std::vector<std::string>{"reports/it.xml", "reports/unit.xml"}));
  EXPECT_EQ(Relative({"dist/lib/?.so"}),
            (std::vector<std::string>{"dist/lib/a.so", "dist/lib/b.so"}));
}

TEST_F(ArtifactPathsTest, DoubleStarMatchesAnyDepth) {
  EXPECT_EQ(Relative({"**/*.log"}), (std::vector<std::string>{"deep/x/y/z.log", "top.log"}));
}

TEST_F(ArtifactPathsTest, DuplicatesAreDroppedAndMissesAreWarnings) {
  auto r = ResolveArtifactPaths(ws(), {"dist/app", "dist/a*", "nothing/*.bin"});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->paths.size(), 1u);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("'nothing/*.bin' matched nothing"), std::string::npos);
}

TEST_F(ArtifactPathsTest, ParentComponentIsRefused) {
  const Error e = Refusal({"dist/../../etc/passwd"});
  EXPECT_EQ(e.kind, ErrorKind::kInvalidPipeline);
  EXPECT_NE(e.message.find("'dist/../../etc/passwd'"), std::string::npos) << e.message;
}

TEST_F(ArtifactPathsTest, AbsolutePathIsRefused) {
  const Error e = Refusal({"/etc/passwd"});
  EXPECT_EQ(e.kind, ErrorKind::kInvalidPipeline);
  EXPECT_NE(e.message.find("absolute"), std::string::npos) << e.message;
}

TEST_F(ArtifactPathsTest, SymlinkToAFileOutsideIsRefused) {
  fs::create_symlink("/etc/passwd", ws() / "dist/passwd");
  const Error e = Refusal({"dist/*"});
  EXPECT_EQ(e.kind, ErrorKind::kInvalidPipeline);
  EXPECT_NE(e.message.find("'dist/passwd'"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("outside the workspace"), std::string::npos) << e.message;
}

TEST_F(ArtifactPathsTest, PathThroughASymlinkedDirectoryOutsideIsRefused) {
  fs::create_directory_symlink("/etc", ws() / "etc-link");
  const Error e = Refusal({"etc-link/hostname"});
  EXPECT_EQ(e.kind, ErrorKind::kInvalidPipeline);
  EXPECT_NE(e.message.find("/etc/hostname"), std::string::npos) << e.message;
}

TEST_F(ArtifactPathsTest, SymlinkInsideTheWorkspaceIsFollowed) {
  fs::create_symlink("dist/app", ws() / "app-link");
  auto r = ResolveArtifactPaths(ws(), {"app-link"});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->paths.size(), 1u);
  EXPECT_EQ(r->paths[0].relative, "app-link");
  EXPECT_EQ(r->paths[0].absolute, fs::canonical(ws() / "dist/app"));
}

TEST_F(ArtifactPathsTest, GlobThroughASymlinkedDirectoryOutsideListsNothingThere) {
  fs::create_directory_symlink("/etc", ws() / "etc-link");
  const Error e = Refusal({"etc-link/*"});
  EXPECT_EQ(e.kind, ErrorKind::kInvalidPipeline);
  EXPECT_NE(e.message.find("matches 'etc-link'"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("hostname"), std::string::npos) << e.message;
}

TEST_F(ArtifactPathsTest, RelativeSymlinkClimbingOutIsRefused) {
  fs::create_symlink("../../../../../../../../etc/passwd", ws() / "dist/up");
  const Error e = Refusal({"dist/up"});
  EXPECT_EQ(e.kind, ErrorKind::kInvalidPipeline);
  EXPECT_NE(e.message.find("outside the workspace"), std::string::npos) << e.message;
}

TEST_F(ArtifactPathsTest, AbsoluteSymlinkIsRefusedEvenIntoTheWorkspace) {
  fs::create_symlink(ws() / "dist/app", ws() / "abs-link");
  EXPECT_EQ(Refusal({"abs-link"}).kind, ErrorKind::kInvalidPipeline);
}

TEST_F(ArtifactPathsTest, DanglingSymlinkIsAWarning) {
  fs::create_symlink("nowhere", ws() / "dist/dangling");
  auto r = ResolveArtifactPaths(ws(), {"dist/dangling"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->paths.empty());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("dist/dangling"), std::string::npos) << r->warnings[0];
}

TEST_F(ArtifactPathsTest, TheWorkspaceItselfIsRefused) {
  EXPECT_EQ(Refusal({"."}).kind, ErrorKind::kInvalidPipeline);
}

}  // namespace
}  // namespace raibid
