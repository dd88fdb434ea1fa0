// The tests' one LogSink (tests/support/recording_sink.h), pinned here so every module's tests
// read the same thing from it.
#include "util/log_sink.h"

#include <gtest/gtest.h>

#include "support/recording_sink.h"

namespace raibid {
namespace {

TEST(RecordingSink, KeepsEveryWriteInOrderByFdAndAsLines) {
  testing::RecordingSink sink;
  int seen = 0;
  sink.on_write = [&](LogFd, std::string_view) { ++seen; };
  sink.Write("build", LogFd::kSys, "$ make\n");
  sink.Write("build", LogFd::kOut, "a\n");
  sink.Write("build", LogFd::kErr, "b\n");
  sink.Write("build", LogFd::kOut, "c\n");
  sink.Flush();
  EXPECT_EQ(sink.Text(LogFd::kOut), "a\nc\n");
  EXPECT_EQ(sink.Text(LogFd::kErr), "b\n");
  EXPECT_EQ(sink.SysLines(), std::vector<std::string>{"$ make\n"});
  EXPECT_EQ(sink.Lines(), "build/sys: $ make\nbuild/out: a\nbuild/err: b\nbuild/out: c\n");
  EXPECT_EQ(sink.entries().size(), 4u);
  EXPECT_EQ(sink.flushes(), 1);
  EXPECT_EQ(seen, 4);
  sink.Clear();
  EXPECT_TRUE(sink.entries().empty());
}

}  // namespace
}  // namespace raibid
