#include "cli/reaper_path.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "support/temp_dir.h"

namespace raibid::cli {
namespace {

namespace fs = std::filesystem;

class FindReaperTest : public ::testing::Test {
 protected:
  // A file at `relative` under the temp dir, executable or not.
  fs::path Put(const std::string& relative, bool executable = true) {
    const fs::path path = dir_.path() / relative;
    fs::create_directories(path.parent_path());
    testing::WriteFile(path, "#!/bin/sh\n");
    chmod(path.c_str(), executable ? 0755 : 0644);
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(FindReaperTest, PrefersTheReaperBesideTheAgent) {
  const fs::path self = Put("bin/raibid-agent");
  const fs::path beside = Put("bin/raibid-agent-reaper");
  Put("libexec/raibid-agent/raibid-agent-reaper");
  EXPECT_EQ(FindReaper(self), beside);
}

TEST_F(FindReaperTest, FindsTheInstalledLayoutUnderLibexec) {
  const fs::path self = Put("usr/bin/raibid-agent");
  const fs::path installed = Put("usr/libexec/raibid-agent/raibid-agent-reaper");
  EXPECT_EQ(FindReaper(self), installed);
}

TEST_F(FindReaperTest, FallsBackToTheAgentItselfWithoutAnExecutableReaper) {
  const fs::path self = Put("bin/raibid-agent");
  Put("bin/raibid-agent-reaper", /*executable=*/false);
  fs::create_directories(dir_.path() / "libexec/raibid-agent/raibid-agent-reaper");  // a directory
  EXPECT_EQ(FindReaper(self), self);
}

}  // namespace
}  // namespace raibid::cli
