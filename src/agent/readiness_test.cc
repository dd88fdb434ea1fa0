#include "agent/readiness.h"

#include <gtest/gtest.h>

#include "support/read_only_dir.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using Reason = std::optional<std::string>;

TEST(Readiness, ReadyWhenEveryCheckPasses) {
  Readiness r;
  EXPECT_EQ(r.NotReady(), std::nullopt);
  r.Add("a", [] { return Reason(); });
  r.Add("b", [] { return Reason(); });
  EXPECT_EQ(r.NotReady(), std::nullopt);
}

TEST(Readiness, NamesEveryFailingReasonInOrder) {
  Readiness r;
  r.Add("disk", [] { return Reason("disk full"); });
  r.Add("fine", [] { return Reason(); });
  r.Add("engine", [] { return Reason("engine unreachable"); });
  EXPECT_EQ(r.NotReady(), "disk full; engine unreachable");
  r.Add("disk", [] { return Reason(); });  // replaced, keeps its place
  EXPECT_EQ(r.NotReady(), "engine unreachable");
}

TEST(Readiness, AHeldReasonLastsUntilReleased) {
  Readiness r;
  r.Hold("local fault", "job j1 could not make its workspace");
  EXPECT_EQ(r.NotReady(), "job j1 could not make its workspace");
  r.Release("local fault");
  EXPECT_EQ(r.NotReady(), std::nullopt);
}

TEST(Readiness, AStatusProbeGivesItsMessage) {
  auto check = FromStatus([] { return Status(Fail(ErrorKind::kInfrastructure, "no engine")); });
  EXPECT_EQ(check(), "no engine");
  EXPECT_EQ(FromStatus([] { return Status(); })(), std::nullopt);
}

TEST(Readiness, AWritableDirectoryPassesAndKeepsNoProbe) {
  testing::TempDir dir;
  ASSERT_TRUE(CheckWritable(dir.path(), "work dir"));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(Readiness, AnUnwritableDirectoryIsNamedWithTheErrno) {
  testing::TempDir dir;
  testing::ReadOnlyDir work(dir.path() / "work");
  if (!work.ok()) GTEST_SKIP() << "chattr +i is not available here";
  auto s = CheckWritable(work.path(), "work dir");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message,
            "work dir " + work.path().string() + " not writable: Operation not permitted");
  EXPECT_EQ(s.error().kind, ErrorKind::kConfig);
}

TEST(Readiness, AMissingDirectoryIsNamedWithTheErrno) {
  testing::TempDir dir;
  auto s = CheckWritable(dir.path() / "gone", "cache dir");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("cache dir " + (dir.path() / "gone").string() +
                                   " not writable: No such file or directory"),
            std::string::npos)
      << s.error().message;
}

TEST(Readiness, FreeSpaceBelowTheMinimumIsNamed) {
  testing::TempDir dir;
  EXPECT_TRUE(CheckFreeSpace(dir.path(), "work dir", 1));
  EXPECT_TRUE(CheckFreeSpace(dir.path(), "work dir", 0));
  auto s = CheckFreeSpace(dir.path(), "work dir", uint64_t{1} << 50);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("work dir " + dir.path().string() + ": "), std::string::npos);
  EXPECT_NE(s.error().message.find(" free, below agent.min_free_disk (1024 TiB)"),
            std::string::npos)
      << s.error().message;
}

}  // namespace
}  // namespace raibid
