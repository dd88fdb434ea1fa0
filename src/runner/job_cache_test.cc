// The job cache's result as the status hash and the metrics name it, and a restore that finds
// the entry an earlier job of the same key saved.
#include "runner/job_cache.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"
#include "util/fake_clock_test_util.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

class NullSink : public LogSink {
 public:
  void Write(std::string_view, LogFd, std::string_view data) override { text += data; }
  void Flush() override {}
  std::string text;
};

TEST(CacheResult, NamesAreTheStatusHashStrings) {
  EXPECT_EQ(ToString(CacheResult::kOff), "off");
  EXPECT_EQ(ToString(CacheResult::kMiss), "miss");
  EXPECT_EQ(ToString(CacheResult::kHit), "hit");
  EXPECT_EQ(ToString(CacheResult::kFallback), "fallback");
}

class JobCacheTest : public ::testing::Test {
 protected:
  // Restores (and saves, after a run) the cache of a job whose pipeline caches "out/".
  std::unique_ptr<JobCache> Restore(const std::string& job_id) {
    const JobPaths paths{.workspace = dir_.path() / job_id, .home = dir_.path() / (job_id + ".h")};
    fs::create_directories(paths.workspace);
    auto cache = std::make_unique<JobCache>(&store_, nullptr, limits_, clock_, log_, observer_);
    EXPECT_TRUE(cache->Restore(pipeline_, {.id = job_id, .branch = "main"}, "https://g/a/b", paths)
                    .has_value());
    return cache;
  }

  TempDir dir_;
  CacheStore store_{dir_.path() / "store", 1 << 30, {}};
  InputLimits limits_;
  FakeClock clock_;
  NullSink log_;
  RunObserver observer_;
  Pipeline pipeline_{.cache_paths = {"out/"}};
};

TEST_F(JobCacheTest, JobWithoutCachingEnabledIsOffAndHasNoStatusField) {
  JobCache cache(&store_, nullptr, limits_, clock_, log_, observer_);
  Job job{.id = "j", .branch = "main", .cache_enabled = false};
  ASSERT_TRUE(cache.Restore(pipeline_, job, "https://g/a/b", {dir_.path(), dir_.path()}));
  EXPECT_EQ(cache.result(), CacheResult::kOff);
  EXPECT_EQ(cache.StatusField(), std::nullopt);
}

TEST_F(JobCacheTest, FirstJobMissesAndTheNextOfTheSameKeyHits) {
  auto first = Restore("first");
  EXPECT_EQ(first->result(), CacheResult::kMiss);
  WriteFile(dir_.path() / "first" / "out" / "built", "yes");
  first->Save();
  EXPECT_NE(first->StatusField()->find(R"("result":"miss")"), std::string::npos);
  auto second = Restore("second");
  EXPECT_EQ(second->result(), CacheResult::kHit);
  EXPECT_TRUE(fs::exists(dir_.path() / "second" / "out" / "built"));
  EXPECT_NE(second->StatusField()->find(R"("result":"hit")"), std::string::npos);
}

}  // namespace
}  // namespace raibid
