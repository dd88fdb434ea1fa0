#include "agent/disk_guard.h"

#include <gtest/gtest.h>

#include <map>

#include "util/fake_clock_test_util.h"

namespace raibid {
namespace {

constexpr uint64_t kMiB = 1 << 20;

// A fake free-space source above FreeBytes' seam, and a cache whose eviction frees `entry` bytes
// of the work dir's filesystem per entry.
struct FakeDisks {
  std::map<std::filesystem::path, uint64_t> free = {{"/w", 100 * kMiB}, {"/c", 100 * kMiB}};
  int cache_entries = 0;
  uint64_t entry = 0;
  int looks = 0;

  DiskGuardOptions Options() {
    return {.dirs = {{"work dir", "/w"}, {"cache dir", "/c"}},
            .min_free = 10 * kMiB,
            .interval = Millis(2000),
            .free_bytes = [this](const std::filesystem::path& dir) -> std::optional<uint64_t> {
              ++looks;
              return free.at(dir);
            },
            .evict = [this](const std::function<bool()>& enough) -> Result<uint64_t> {
              uint64_t freed = 0;
              while (cache_entries > 0 && !enough()) {
                --cache_entries, freed += entry, free["/w"] += entry;
              }
              return freed;
            }};
  }
};

TEST(DiskGuard, WithRoomOnEveryDiskJobsAreTaken) {
  FakeDisks disks;
  FakeClock clock;
  DiskGuard guard(disks.Options(), clock);
  EXPECT_EQ(guard.Check(), std::nullopt);
  EXPECT_FALSE(guard.low());
}

TEST(DiskGuard, ALowDiskEvictsCachesUntilThereIsRoomAndKeepsTheRest) {
  FakeDisks disks;
  disks.free["/w"] = 4 * kMiB;
  disks.cache_entries = 5;
  disks.entry = 2 * kMiB;
  FakeClock clock;
  DiskGuard guard(disks.Options(), clock);
  EXPECT_EQ(guard.Check(), std::nullopt);
  EXPECT_EQ(disks.cache_entries, 2);  // 3 entries took it from 4 to 10 MiB free
}

TEST(DiskGuard, StillLowAfterEvictingEverythingItTakesNoJobsAndSaysWhy) {
  FakeDisks disks;
  disks.free["/c"] = 512 * 1024;
  FakeClock clock;
  DiskGuard guard(disks.Options(), clock);
  EXPECT_EQ(guard.Check(), "cache dir /c: 512 KiB free, below agent.min_free_disk (10 MiB)");
  EXPECT_EQ(guard.reason(), guard.Check());
  EXPECT_TRUE(guard.low());
}

TEST(DiskGuard, LooksAtTheDisksAtMostOncePerIntervalAndResumesWhenSpaceReturns) {
  FakeDisks disks;
  disks.free["/w"] = kMiB;
  FakeClock clock;
  DiskGuard guard(disks.Options(), clock);
  ASSERT_TRUE(guard.Check());
  const int looks = disks.looks;
  disks.free["/w"] = 50 * kMiB;
  clock.Advance(Millis(1000));
  EXPECT_TRUE(guard.Check());  // the same answer: not looked at again yet
  EXPECT_EQ(disks.looks, looks);
  clock.Advance(Millis(1000));
  EXPECT_EQ(guard.Check(), std::nullopt);
  EXPECT_FALSE(guard.low());
}

TEST(DiskGuard, ZeroMinFreeNeverPauses) {
  FakeDisks disks;
  disks.free["/w"] = 0;
  auto options = disks.Options();
  options.min_free = 0;
  FakeClock clock;
  DiskGuard guard(options, clock);
  EXPECT_EQ(guard.Check(), std::nullopt);
}

}  // namespace
}  // namespace raibid
