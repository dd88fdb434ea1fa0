#include "report/redis_log_sink.h"

#include <gtest/gtest.h>

#include "queue/job_queue.h"
#include "support/redis_server.h"

namespace raibid {
namespace {

class RedisLogSinkTest : public ::testing::Test {
 protected:
  std::unique_ptr<Redis> Connect() {
    auto conn = Redis::Connect(*ParseRedisUrl(server_.url()));
    EXPECT_TRUE(conn);
    return std::move(*conn);
  }
  // All entries of the job's log stream, as (fd, data).
  std::vector<StreamEntry> Entries() {
    auto r = Connect()->Command({"XRANGE", LogKey("j1"), "-", "+"});
    return ParseEntries(r->get());
  }
  std::string Text(LogFd only) {
    std::string all;
    for (const auto& e : Entries()) {
      if (e.Field("fd") == std::string(ToString(only))) all += *e.Field("data");
    }
    return all;
  }
  testing::RedisServer server_;
};

TEST_F(RedisLogSinkTest, KeepsOrderAcrossStepsAndFds) {
  {
    RedisLogSink sink(Connect(), "j1", {}, Masker{});
    sink.Write("a", LogFd::kSys, "start\n");
    sink.Write("a", LogFd::kOut, "one\n");
    sink.Write("a", LogFd::kErr, "two\n");
    sink.Write("b", LogFd::kOut, "three\n");
  }
  auto entries = Entries();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].Field("fd"), "sys");
  EXPECT_EQ(entries[1].Field("data"), "one\n");
  EXPECT_EQ(entries[2].Field("fd"), "err");
  EXPECT_EQ(entries[3].Field("step"), "b");
  EXPECT_NE(server_.Cli({"TTL", LogKey("j1")}), "-1");
}

TEST_F(RedisLogSinkTest, FlushMakesOutputVisibleAtOnce) {
  RedisLogSink sink(Connect(), "j1", {}, Masker{});
  sink.Write("a", LogFd::kOut, "hello\n");
  sink.Flush();
  EXPECT_EQ(Text(LogFd::kOut), "hello\n");
}

TEST_F(RedisLogSinkTest, LimitKeepsPrefixCountsRestAndSaysSo) {
  ReportSettings settings;
  settings.log_limit_bytes = 1000;
  uint64_t dropped = 0;
  {
    RedisLogSink sink(Connect(), "j1", settings, Masker{});
    for (int i = 0; i < 100; ++i) sink.Write("a", LogFd::kOut, std::string(99, 'x') + "\n");
    sink.Write("a", LogFd::kSys, "step a exited with code 0\n");
    sink.Flush();
    dropped = sink.dropped_bytes();
  }
  EXPECT_EQ(Text(LogFd::kOut).size(), 1000u);
  EXPECT_EQ(dropped, 9000u);
  std::string sys = Text(LogFd::kSys);
  EXPECT_NE(sys.find("log limit of 1000 bytes reached"), std::string::npos);
  EXPECT_NE(sys.find("exited with code 0"), std::string::npos);
}

TEST_F(RedisLogSinkTest, LargeOutputIsSplitIntoBoundedEntries) {
  {
    RedisLogSink sink(Connect(), "j1", {}, Masker{});
    sink.Write("a", LogFd::kOut, std::string(300000, 'y'));
  }
  auto entries = Entries();
  EXPECT_GE(entries.size(), 5u);
  size_t total = 0;
  for (const auto& e : entries) {
    EXPECT_LE(e.Field("data")->size(), 65536u);
    total += e.Field("data")->size();
  }
  EXPECT_EQ(total, 300000u);
}

TEST_F(RedisLogSinkTest, MasksSecrets) {
  Masker masker;
  masker.Add("hunter2-token");
  {
    RedisLogSink sink(Connect(), "j1", {}, masker);
    sink.Write("a", LogFd::kOut, "password is hunter2-token\n");
  }
  EXPECT_EQ(Text(LogFd::kOut), "password is [MASKED]\n");
}

}  // namespace
}  // namespace raibid
