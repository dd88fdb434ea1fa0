#include "util/disk_usage.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace raibid {
namespace {

TEST(DiskUsage, TreeBytesCountsFilesUnderTheTreeAndNotLinks) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "a" / "b");
  testing::WriteFile(dir.path() / "a" / "one", std::string(1000, 'x'));
  testing::WriteFile(dir.path() / "a" / "b" / "two", std::string(24, 'y'));
  std::filesystem::create_symlink(dir.path() / "a" / "one", dir.path() / "link");
  EXPECT_EQ(TreeBytes(dir.path()), 1024u);
  EXPECT_EQ(TreeBytes(dir.path() / "missing"), 0u);
}

TEST(DiskUsage, FreeBytesAnswersForADirectoryAndNotForAMissingOne) {
  testing::TempDir dir;
  ASSERT_TRUE(FreeBytes(dir.path()).has_value());
  EXPECT_GT(*FreeBytes(dir.path()), 0u);
  EXPECT_FALSE(FreeBytes(dir.path() / "missing").has_value());
}

}  // namespace
}  // namespace raibid
