#include "runner/job_dirs.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(JobDirs, EveryDirectoryOfAJobMapsBackToItsId) {
  const std::filesystem::path work = "work";
  const JobDirs dirs = JobDirs::For(work, "job-7");
  EXPECT_EQ(dirs.workspace, work / "job-7");
  for (const auto& dir : {dirs.workspace, dirs.home, dirs.auth, dirs.tmp}) {
    EXPECT_EQ(dir.parent_path(), work);
    EXPECT_EQ(JobIdOfDir(dir.filename().string()), "job-7") << dir;
  }
}

TEST(JobDirs, OnlyOneKnownSuffixIsStripped) {
  EXPECT_EQ(JobIdOfDir("a.home.auth"), "a.home");
  EXPECT_EQ(JobIdOfDir("a.cache"), "a.cache");
  EXPECT_EQ(JobIdOfDir(".home"), ".home");  // a suffix alone is not a job's directory
}

}  // namespace
}  // namespace raibid
