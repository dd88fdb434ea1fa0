#include "agent/idle_upkeep.h"

#include <gtest/gtest.h>

#include "runner/job_dirs.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;

class StaleJobDirsTest : public ::testing::Test {
 protected:
  // The three directories of `job_id`, last written `age` ago.
  JobDirs Make(const std::string& job_id, std::chrono::minutes age) {
    JobDirs dirs = JobDirs::For(work_, job_id);
    for (const auto& dir : {dirs.workspace, dirs.home, dirs.auth}) {
      fs::create_directories(dir / "sub");
      fs::last_write_time(dir, fs::file_time_type::clock::now() - age);
    }
    return dirs;
  }
  static bool AllExist(const JobDirs& d) {
    return fs::exists(d.workspace) && fs::exists(d.home) && fs::exists(d.auth);
  }
  static bool NoneExists(const JobDirs& d) {
    return !fs::exists(d.workspace) && !fs::exists(d.home) && !fs::exists(d.auth);
  }

  testing::TempDir dir_{"raibid-upkeep"};
  fs::path work_ = dir_.path() / "work";
};

TEST_F(StaleJobDirsTest, AFinishedJobsOldDirectoriesGoWithEverySuffix) {
  const JobDirs old = Make("done", std::chrono::hours(1));
  EXPECT_EQ(RemoveStaleJobDirs(work_, {}), 3);
  EXPECT_TRUE(NoneExists(old));
}

TEST_F(StaleJobDirsTest, ARunningJobsDirectoriesStayHoweverOld) {
  const JobDirs running = Make("busy", std::chrono::hours(5));
  const JobDirs done = Make("done", std::chrono::hours(1));
  EXPECT_EQ(RemoveStaleJobDirs(work_, {"busy"}), 3);
  EXPECT_TRUE(AllExist(running));  // its .auth too: the upkeep once removed it mid-job
  EXPECT_TRUE(NoneExists(done));
}

TEST_F(StaleJobDirsTest, FreshDirectoriesOfAJobJustStartingStay) {
  const JobDirs fresh = Make("starting", std::chrono::minutes(1));
  EXPECT_EQ(RemoveStaleJobDirs(work_, {}), 0);
  EXPECT_TRUE(AllExist(fresh));
}

TEST_F(StaleJobDirsTest, AMissingWorkDirectoryRemovesNothing) {
  EXPECT_EQ(RemoveStaleJobDirs(work_ / "absent", {}), 0);
}

}  // namespace
}  // namespace raibid
