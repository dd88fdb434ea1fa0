#include "util/path_guard.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::WriteFile;

// Every test runs twice: with openat2 (where the kernel has it) and with the walk forced.
class PathGuardTest : public ::testing::TestWithParam<bool> {
 protected:
  PathGuardTest() {
    ForcePathGuardFallbackForTesting(GetParam());
    root_ = dir_.path() / "root";
    outside_ = dir_.path() / "outside";
    WriteFile(root_ / "f", "file");
    WriteFile(root_ / "d/e/g", "deep");
    WriteFile(outside_ / "secret", "outside");
    fs::create_symlink("d/e/g", root_ / "lnk");
    fs::create_symlink("../f", root_ / "d/up");
    fs::create_symlink(outside_ / "secret", root_ / "abs");
    fs::create_symlink(outside_, root_ / "absdir");
    fs::create_symlink(root_ / "f", root_ / "abs-inside");
    fs::create_symlink("../outside/secret", root_ / "rel");
    fs::create_symlink("../../outside", root_ / "d/reldir");
    fs::create_symlink("l2", root_ / "l1");
    fs::create_symlink("d/l3", root_ / "l2");
    fs::create_symlink("e/g", root_ / "d/l3");
    fs::create_symlink("c2", root_ / "c1");
    fs::create_symlink("../outside", root_ / "c2");
    fs::create_symlink("loop2", root_ / "loop1");
    fs::create_symlink("loop1", root_ / "loop2");
    fs::create_symlink("nothing", root_ / "dangling");
    fs::create_symlink("/nonexistent/x", root_ / "dangling-out");
    fs::create_symlink("d", root_ / "dlink");
  }
  ~PathGuardTest() override { ForcePathGuardFallbackForTesting(false); }

  fs::path Real(const std::string& rel) const { return fs::canonical(root_) / rel; }
  PathFault Fault(std::string_view rel, unsigned flags = 0) const {
    auto r = ResolveBeneath(root_, rel, flags);
    EXPECT_FALSE(r) << rel << " resolved to " << (r ? r->string() : "");
    return r ? PathFault::kSystem : r.error().fault;
  }
  fs::path Resolved(std::string_view rel, unsigned flags = 0) const {
    auto r = ResolveBeneath(root_, rel, flags);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : fs::path();
  }

  testing::TempDir dir_;
  fs::path root_, outside_;
};

INSTANTIATE_TEST_SUITE_P(Kernel, PathGuardTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Walk" : "Openat2"; });

TEST_P(PathGuardTest, PlainFileAndNestedDirectory) {
  EXPECT_EQ(Resolved("f"), Real("f"));
  EXPECT_EQ(Resolved("d/e/g"), Real("d/e/g"));
  EXPECT_EQ(Resolved("d/e/"), Real("d/e"));
  EXPECT_EQ(Resolved(""), fs::canonical(root_));
  EXPECT_EQ(Resolved("./d/./e"), Real("d/e"));
}

TEST_P(PathGuardTest, DotDotThatStaysInside) {
  EXPECT_EQ(Resolved("d/../f"), Real("f"));
  EXPECT_EQ(Resolved("d/e/../../d/e/g"), Real("d/e/g"));
}

TEST_P(PathGuardTest, DotDotThatEscapesIsRefusedBeforeTheDisk) {
  EXPECT_EQ(Fault("../outside/secret"), PathFault::kOutside);
  EXPECT_EQ(Fault("d/../../outside/secret"), PathFault::kOutside);
  EXPECT_EQ(Fault("nonexistent/../../x", kAllowMissing), PathFault::kOutside);
}

TEST_P(PathGuardTest, AbsolutePathAndNulAreRefused) {
  EXPECT_EQ(Fault(outside_.string() + "/secret"), PathFault::kOutside);
  EXPECT_EQ(Fault((root_ / "f").string()), PathFault::kOutside);
  EXPECT_EQ(Fault(std::string("f\0/x", 4)), PathFault::kInvalid);
}

TEST_P(PathGuardTest, SymlinkInsidePointingInsideIsFollowed) {
  EXPECT_EQ(Resolved("lnk"), Real("d/e/g"));
  EXPECT_EQ(Resolved("d/up"), Real("f"));
  EXPECT_EQ(Resolved("dlink/e/g"), Real("d/e/g"));
  EXPECT_EQ(Resolved("lnk", kNoFollowLast), Real("lnk"));
}

TEST_P(PathGuardTest, SymlinkWithAbsoluteTargetIsRefusedEvenInside) {
  EXPECT_EQ(Fault("abs"), PathFault::kOutside);
  EXPECT_EQ(Fault("absdir/secret"), PathFault::kOutside);
  EXPECT_EQ(Fault("absdir/new", kAllowMissing), PathFault::kOutside);
  EXPECT_EQ(Fault("abs-inside"), PathFault::kOutside);
}

TEST_P(PathGuardTest, SymlinkWithRelativeTargetOutsideIsRefused) {
  EXPECT_EQ(Fault("rel"), PathFault::kOutside);
  EXPECT_EQ(Fault("d/reldir/secret"), PathFault::kOutside);
  EXPECT_EQ(Fault("d/reldir/new", kAllowMissing | kNoFollowLast), PathFault::kOutside);
}

TEST_P(PathGuardTest, SymlinkChainsAreFollowedToTheirEnd) {
  EXPECT_EQ(Resolved("l1"), Real("d/e/g"));
  EXPECT_EQ(Fault("c1/secret"), PathFault::kOutside);
  EXPECT_EQ(Fault("loop1"), PathFault::kLoop);
}

TEST_P(PathGuardTest, DanglingSymlinkIsNotFoundUnlessNotFollowed) {
  EXPECT_EQ(Fault("dangling"), PathFault::kNotFound);
  EXPECT_EQ(Fault("dangling", kAllowMissing), PathFault::kNotFound);
  EXPECT_EQ(Fault("dangling/x", kAllowMissing), PathFault::kNotFound);
  EXPECT_EQ(Resolved("dangling", kNoFollowLast), Real("dangling"));
  EXPECT_EQ(Fault("dangling-out"), PathFault::kOutside);
}

TEST_P(PathGuardTest, MissingComponentsOnlyWhenAllowed) {
  EXPECT_EQ(Fault("new/file"), PathFault::kNotFound);
  EXPECT_EQ(Resolved("new/dir/file", kAllowMissing), Real("") / "new/dir/file");
  EXPECT_EQ(Resolved("dlink/new/", kAllowMissing), Real("d") / "new");
  EXPECT_EQ(Fault("new/../f", kAllowMissing), PathFault::kNotFound);
}

TEST_P(PathGuardTest, FileUsedAsDirectory) {
  EXPECT_EQ(Fault("f/x"), PathFault::kNotDirectory);
  EXPECT_EQ(Fault("f/"), PathFault::kNotDirectory);
  EXPECT_EQ(Fault("f/x", kAllowMissing), PathFault::kNotDirectory);
}

TEST_P(PathGuardTest, OpenReadsInsideAndCreatesOnlyInside) {
  auto fd = OpenBeneath(root_, "lnk", O_RDONLY);
  ASSERT_TRUE(fd) << fd.error().message;
  char buf[8] = {};
  EXPECT_EQ(read(fd->get(), buf, sizeof buf), 4);
  EXPECT_STREQ(buf, "deep");
  ASSERT_TRUE(OpenBeneath(root_, "d/made", O_WRONLY | O_CREAT));
  EXPECT_TRUE(fs::exists(root_ / "d/made"));
  auto out = OpenBeneath(root_, "absdir/made", O_WRONLY | O_CREAT);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().fault, PathFault::kOutside);
  EXPECT_EQ(OpenBeneath(root_, "d/reldir/made", O_WRONLY | O_CREAT).error().fault,
            PathFault::kOutside);
  EXPECT_FALSE(fs::exists(outside_ / "made"));
}

TEST_P(PathGuardTest, CreatingThroughASymlinkToNothingInsideCreatesItsTarget) {
  fs::create_symlink("d/target", root_ / "to-create");
  ASSERT_TRUE(OpenBeneath(root_, "to-create", O_WRONLY | O_CREAT));
  EXPECT_TRUE(fs::is_regular_file(root_ / "d/target"));
}

TEST_P(PathGuardTest, NoFollowOpensTheLinkOrRefuses) {
  auto link = OpenBeneath(root_, "abs", O_PATH | O_NOFOLLOW);
  ASSERT_TRUE(link) << link.error().message;
  EXPECT_EQ(OpenBeneath(root_, "lnk", O_RDONLY | O_NOFOLLOW).error().fault, PathFault::kLoop);
}

TEST_P(PathGuardTest, MissingRootIsASystemError) {
  auto r = ResolveBeneath(dir_.path() / "no-root", "f");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().fault, PathFault::kSystem);
}

TEST(PathGuard, MessagesQuoteTheInputSafely) {
  auto e = CheckRelativePath("../\x1b[2Jx");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "'../\\x1b[2Jx' climbs out of its root (\"..\")");
  EXPECT_EQ(QuotePath(std::string(300, 'a')).size(), 200u + 5u);
}

// The same answers from both implementations, for every case above and a few more.
TEST(PathGuard, WalkAnswersLikeOpenat2) {
  ForcePathGuardFallbackForTesting(false);
  if (!PathGuardUsesOpenat2()) GTEST_SKIP() << "this kernel has no openat2";
  testing::TempDir dir;
  const fs::path root = dir.path();
  WriteFile(root / "f", "x");
  WriteFile(root / "d/e/g", "x");
  fs::create_symlink("d/e/g", root / "lnk");
  fs::create_symlink("../f", root / "d/up");
  fs::create_symlink("/etc", root / "abs");
  fs::create_symlink(root / "f", root / "abs-inside");
  fs::create_symlink("../..", root / "d/rel");
  fs::create_symlink("l2", root / "l1");
  fs::create_symlink("d/l3", root / "l2");
  fs::create_symlink("e/g", root / "d/l3");
  fs::create_symlink("loop", root / "loop");
  fs::create_symlink("nothing", root / "dangling");
  fs::create_symlink("d/", root / "dslash");
  fs::create_symlink("f/", root / "fslash");
  fs::create_symlink(".", root / "self");
  const std::vector<std::string> cases = {
      "",          ".",          "f",          "f/",          "f/.",         "f/x",
      "d",         "d/",         "d/e/g",      "d/../f",      "d/e/../../f", "../x",
      "d/../../x", "/etc",       "lnk",        "lnk/",        "d/up",        "d/up/x",
      "abs",       "abs/passwd", "abs-inside", "d/rel",       "d/rel/x",     "d/rel/root/f",
      "l1",        "loop",       "loop/x",     "dangling",    "dangling/x",  "dslash",
      "dslash/e",  "fslash",     "self",       "self/self/f", "new",         "new/x",
      "new/../f",  "dslash/new", "d/e/g/new",  "lnk/.."};
  for (const unsigned flags : {0u, kAllowMissing, kNoFollowLast, kAllowMissing | kNoFollowLast}) {
    for (const auto& rel : cases) {
      ForcePathGuardFallbackForTesting(false);
      const auto kernel = ResolveBeneath(root, rel, flags);
      ForcePathGuardFallbackForTesting(true);
      const auto walk = ResolveBeneath(root, rel, flags);
      const std::string what = "'" + rel + "' flags " + std::to_string(flags);
      ASSERT_EQ(kernel.has_value(), walk.has_value())
          << what << ": " << (kernel ? kernel->string() : kernel.error().message) << " vs "
          << (walk ? walk->string() : walk.error().message);
      if (kernel) {
        EXPECT_EQ(*kernel, *walk) << what;
      } else {
        EXPECT_EQ(kernel.error().fault, walk.error().fault)
            << what << ": " << kernel.error().message << " vs " << walk.error().message;
      }
    }
  }
  ForcePathGuardFallbackForTesting(false);
}

}  // namespace
}  // namespace raibid
