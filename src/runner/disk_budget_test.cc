#include "runner/disk_budget.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace raibid {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST(DiskBudget, FilesWithinTheBudgetPassAndCountForThePeak) {
  TempDir dir;
  WriteFile(dir.path() / "ws/a", std::string(3000, 'a'));
  WriteFile(dir.path() / "tmp/b", std::string(1000, 'b'));
  DiskBudget budget({dir.path() / "ws", dir.path() / "tmp", dir.path() / "absent"}, 4000);
  EXPECT_EQ(budget.Measure(), 4000u);
  EXPECT_EQ(budget.Exceeded(), std::nullopt);
  EXPECT_EQ(budget.peak(), 4000u);
  EXPECT_EQ(budget.last(0), 3000u);  // each directory's share of the last measurement
  EXPECT_EQ(budget.last(1), 1000u);
  EXPECT_EQ(budget.last(2), 0u);
}

TEST(DiskBudget, PastTheBudgetTheErrorNamesSizeBudgetAndKey) {
  TempDir dir;
  WriteFile(dir.path() / "ws/a", std::string(3 << 20, 'a'));
  DiskBudget budget({dir.path() / "ws"}, 1 << 20);
  budget.Measure();
  std::filesystem::remove(dir.path() / "ws/a");
  budget.Measure();  // a later, smaller measurement neither clears it nor lowers the peak
  EXPECT_EQ(budget.Exceeded(),
            "the job's files hold 3 MiB, over its disk budget agent.limits.workspace_bytes "
            "(1 MiB)");
  EXPECT_EQ(budget.peak(), 3u << 20);
}

TEST(DiskBudget, TheWatchNoticesFilesWrittenAfterItStarted) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "ws");
  DiskBudget budget({dir.path() / "ws"}, 1000, Millis(20));
  budget.Start();
  EXPECT_EQ(budget.Exceeded(), std::nullopt);
  WriteFile(dir.path() / "ws/big", std::string(5000, 'x'));
  EXPECT_TRUE(testing::WaitFor([&] { return budget.Exceeded().has_value(); }));
  std::filesystem::remove(dir.path() / "ws/big");
  WriteFile(dir.path() / "ws/small", std::string(700, 'y'));
  budget.Stop();  // measures once more: what the steps left
  EXPECT_EQ(budget.peak(), 5000u);
  EXPECT_EQ(budget.last(0), 700u);
}

}  // namespace
}  // namespace raibid
