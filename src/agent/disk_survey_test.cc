#include "agent/disk_survey.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "util/fake_clock_test_util.h"

namespace raibid {
namespace {

TEST(DiskSurvey, ReportsEachDirectoryAndWalksAgainOnlyOnceTheSurveyIsOld) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "work");
  std::filesystem::create_directories(dir.path() / "cache");
  testing::WriteFile(dir.path() / "work" / "f", std::string(100, 'x'));
  FakeClock clock;
  DiskSurvey survey({{"work", dir.path() / "work"}, {"cache", dir.path() / "cache"}}, clock,
                    std::chrono::seconds(30));
  auto first = survey.Read();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].name, "work");
  EXPECT_EQ(first[0].used, 100u);
  EXPECT_GT(first[0].free, 0);
  EXPECT_EQ(first[1].used, 0u);
  testing::WriteFile(dir.path() / "cache" / "g", std::string(50, 'y'));
  EXPECT_EQ(survey.Read()[1].used, 0u);  // the survey is still fresh
  clock.Advance(std::chrono::seconds(31));
  EXPECT_EQ(survey.Read()[1].used, 50u);
}

}  // namespace
}  // namespace raibid
