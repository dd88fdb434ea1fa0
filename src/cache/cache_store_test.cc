#include "cache/cache_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "cache/cache_plan.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFile;

class CacheStoreTest : public ::testing::Test {
 protected:
  std::vector<ArchiveRoot> Tree(const std::string& content) {
    WriteFile(dir_.path() / "ws/target/file", content);
    return {{"w", dir_.path() / "ws", {"target"}}};
  }
  TempDir dir_;
  CacheStore store_{dir_.path() / "store", 1ull << 40, {}};
};

TEST_F(CacheStoreTest, ExactKeyThenNewestOfTheBranchThenTheDefaultBranch) {
  ASSERT_TRUE(store_.Save({"r#branch:main", "lock-a"}, Tree("main-a")));
  CacheLookup lookup{.keys = {{"r#branch:feature", "lock-b"}},
                     .fallback_scopes = {"r#branch:feature", "r#branch:main"}};
  auto hit = store_.Find(lookup);
  ASSERT_TRUE(hit);
  EXPECT_FALSE(hit->exact);
  EXPECT_EQ(hit->key, "r#branch:main#*");
  ASSERT_TRUE(store_.Save({"r#branch:feature", "lock-old"}, Tree("feature-old")));
  EXPECT_EQ(store_.Find(lookup)->key, "r#branch:feature#*");
  ASSERT_TRUE(store_.Save({"r#branch:feature", "lock-b"}, Tree("feature-b")));
  hit = store_.Find(lookup);
  EXPECT_TRUE(hit->exact);
  ASSERT_TRUE(store_.Restore(*hit, {{"w", dir_.path() / "out", {}}}));
  EXPECT_EQ(testing::ReadFile(dir_.path() / "out/target/file"), "feature-b");
  EXPECT_FALSE(store_.Find({.keys = {{"other#branch:main", "x"}}}));
}

TEST_F(CacheStoreTest, ACorruptEntryIsRemovedAndReportedAsAnError) {
  const CacheKey key{"r#branch:main", "k"};
  ASSERT_TRUE(store_.Save(key, Tree(std::string(100000, 'q'))));
  fs::resize_file(store_.EntryPath(key), 100);
  auto hit = store_.Find({.keys = {key}});
  ASSERT_TRUE(hit);
  EXPECT_FALSE(store_.Restore(*hit, {{"w", dir_.path() / "out", {}}}));
  EXPECT_FALSE(fs::exists(store_.EntryPath(key)));
}

TEST_F(CacheStoreTest, AnEntryPastTheLimitsIsNeitherSavedNorKept) {
  const CacheKey key{"r#branch:main", "k"};
  InputLimits limits;
  limits.cache_archive_bytes = 1000;
  auto refused = store_.Save(key, Tree(std::string(1001, 'q')), limits);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("agent.limits.cache_archive_bytes (1000 bytes)"),
            std::string::npos);
  EXPECT_FALSE(store_.Find({.keys = {key}}));
  // Saved under larger limits, then restored under smaller ones: dropped, like a damaged one.
  ASSERT_TRUE(store_.Save(key, Tree(std::string(1001, 'q'))));
  auto hit = store_.Find({.keys = {key}});
  ASSERT_TRUE(hit);
  auto restored = store_.Restore(*hit, {{"w", dir_.path() / "out", {}}}, limits);
  ASSERT_FALSE(restored);
  EXPECT_NE(restored.error().message.find("agent.limits.cache_archive_bytes"), std::string::npos);
  EXPECT_FALSE(fs::exists(store_.EntryPath(key)));
}

TEST_F(CacheStoreTest, EvictionDropsTheLeastRecentlyUsedUntilItFits) {
  CacheStore small(dir_.path() / "small", 0, {});
  std::vector<CacheKey> keys;
  uint64_t one = 0;
  for (int i = 0; i < 4; ++i) {
    keys.push_back({"r#branch:b" + std::to_string(i), "k"});
    // Incompressible-ish content so each entry has a real size.
    std::string content;
    for (int j = 0; j < 20000; ++j) content += std::to_string(j * 7919 + i);
    ASSERT_TRUE(small.Save(keys.back(), Tree(content)));
    one = fs::file_size(small.EntryPath(keys.back()));
    fs::last_write_time(small.EntryPath(keys.back()),
                        fs::file_time_type::clock::now() - std::chrono::hours(10 - i));
  }
  // Using entry 0 makes it the most recent.
  ASSERT_TRUE(small.Restore(*small.Find({.keys = {keys[0]}}), {{"w", dir_.path() / "o", {}}}));
  CacheStore bounded(dir_.path() / "small", 2 * one + one / 2, {});
  auto freed = bounded.Evict();
  ASSERT_TRUE(freed);
  EXPECT_GT(*freed, 0u);
  EXPECT_TRUE(fs::exists(small.EntryPath(keys[0])));
  EXPECT_FALSE(fs::exists(small.EntryPath(keys[1])));
  EXPECT_FALSE(fs::exists(small.EntryPath(keys[2])));
  EXPECT_TRUE(fs::exists(small.EntryPath(keys[3])));
}

TEST_F(CacheStoreTest, EvictUntilDropsOldestEntriesBelowTheSizeLimitUntilItIsEnough) {
  std::vector<CacheKey> keys;
  for (int i = 0; i < 3; ++i) {
    keys.push_back({"r#branch:b" + std::to_string(i), "k"});
    ASSERT_TRUE(store_.Save(keys.back(), Tree("entry " + std::to_string(i))));
    fs::last_write_time(store_.EntryPath(keys.back()),
                        fs::file_time_type::clock::now() - std::chrono::hours(10 - i));
  }
  // The store is far below its limit; the disk is what asks for room.
  auto freed = store_.EvictUntil([&] { return !fs::exists(store_.EntryPath(keys[1])); });
  ASSERT_TRUE(freed);
  EXPECT_GT(*freed, 0u);
  EXPECT_FALSE(fs::exists(store_.EntryPath(keys[0])));
  EXPECT_TRUE(fs::exists(store_.EntryPath(keys[2])));
  ASSERT_TRUE(store_.EvictUntil([] { return false; }));  // never enough: everything goes
  EXPECT_FALSE(fs::exists(store_.EntryPath(keys[2])));
}

TEST_F(CacheStoreTest, CountedDirectoriesShareTheBudget) {
  WriteFile(dir_.path() / "git/mirror.pack", std::string(1 << 20, 'm'));
  ASSERT_TRUE(store_.Save({"r#branch:main", "k"}, Tree("x")));
  CacheStore bounded(dir_.path() / "store", 1 << 20, {dir_.path() / "git"});
  ASSERT_TRUE(bounded.Evict());
  EXPECT_FALSE(fs::exists(store_.EntryPath({"r#branch:main", "k"})));
}

TEST_F(CacheStoreTest, ConcurrentSavesAndRestoresOfOneKeyStayWhole) {
  const CacheKey key{"r#branch:main", "k"};
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const auto ws = dir_.path() / ("ws" + std::to_string(t));
      WriteFile(ws / "target/file", std::string(200000, static_cast<char>('a' + t)));
      for (int i = 0; i < 5; ++i) {
        if (!store_.Save(key, {{"w", ws, {"target"}}})) ++failures;
        if (auto hit = store_.Find({.keys = {key}})) {
          const auto out = dir_.path() / ("out" + std::to_string(t) + "-" + std::to_string(i));
          if (!ReadCacheArchive(hit->entry, {{"w", out, {}}})) ++failures;
          if (testing::ReadFile(out / "target/file").size() != 200000) ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
}

TEST(CachePlan, RustPresetAddsTargetAndCargoHomeKeyedByTheLockFile) {
  testing::TempDir dir;
  WriteFile(dir.path() / "ws/Cargo.lock", "v1");
  Pipeline p{.language = "rust"};
  auto plan = MakeCachePlan({.pipeline = &p,
                             .repository = "file:///r",
                             .branch = "feature",
                             .workspace = dir.path() / "ws",
                             .home = dir.path() / "home"});
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->roots[0].paths, std::vector<std::string>{"target"});
  EXPECT_EQ(plan->roots[1].paths, (std::vector<std::string>{".cargo/registry", ".cargo/git"}));
  EXPECT_EQ(plan->env.at("CARGO_HOME"), (dir.path() / "home/.cargo").string());
  const std::string key1 = plan->save_key.ToString();
  EXPECT_EQ(plan->lookup.fallback_scopes.back(), "file:///r#branch:main");
  WriteFile(dir.path() / "ws/Cargo.lock", "v2");
  auto plan2 = MakeCachePlan({.pipeline = &p,
                              .repository = "file:///r",
                              .branch = "feature",
                              .workspace = dir.path() / "ws",
                              .home = dir.path() / "home"});
  EXPECT_NE(plan2->save_key.ToString(), key1);
}

TEST(CachePlan, PathsThatEscapeAreRefused) {
  for (const char* bad : {"../x", "/etc", "~/../x", "a/../../b", ".."}) {
    Pipeline p{.cache_paths = {bad}};
    auto plan = MakeCachePlan({.pipeline = &p, .repository = "r", .workspace = "/w", .home = "/h"});
    ASSERT_FALSE(plan) << bad;
    EXPECT_EQ(plan.error().kind, ErrorKind::kInvalidPipeline);
    EXPECT_NE(plan.error().message.find(bad), std::string::npos);
  }
}

TEST(CachePlan, ExplicitKeyAndFallbacks) {
  Pipeline p{.cache_paths = {"out/"},
             .cache_key = "v3",
             .cache_fallback_keys = {"v2"},
             .cache_policy = "pull"};
  auto plan = MakeCachePlan({.pipeline = &p, .repository = "r", .workspace = "/w", .home = "/h"});
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->save_key.name, "v3");
  ASSERT_EQ(plan->lookup.keys.size(), 2u);
  EXPECT_EQ(plan->lookup.keys[1].name, "v2");
  EXPECT_EQ(plan->policy, CachePolicy::kPull);
}

}  // namespace
}  // namespace raibid
