#include "executor/command_echo.h"

#include <gtest/gtest.h>

#include "support/recording_sink.h"

namespace raibid {
namespace {

using testing::RecordingSink;

TEST(CommandEcho, AMarkerSplitAcrossReadsBecomesTheScriptsLine) {
  RecordingSink sink;
  CommandEcho echo(sink, "make\nmake test\n");
  echo.Write("s", LogFd::kErr, "warning: x\n\x1eraibid-li");
  echo.Write("s", LogFd::kErr, "ne 2\nerror: y\n");
  EXPECT_EQ(sink.Lines(), "s/err: warning: x\ns/sys: $ make test\ns/err: error: y\n");
  EXPECT_EQ(echo.LastLine(), " at line 2: make test");
}

TEST(CommandEcho, TheStepsOwnControlBytesPassUntouched) {
  RecordingSink sink;
  CommandEcho echo(sink, "true");
  echo.Write("s", LogFd::kErr, "a\x1e");
  echo.Flush();
  echo.Write("s", LogFd::kErr, "\x1eraibid-line x\n\x1e");
  echo.Write("s", LogFd::kOut, "\x1eraibid-line 1\n");
  EXPECT_EQ(sink.Text(LogFd::kErr), "a\x1e\x1eraibid-line x\n\x1e");
  EXPECT_EQ(sink.Text(LogFd::kOut), "\x1eraibid-line 1\n");
  EXPECT_EQ(echo.LastLine(), "");
}

TEST(CommandEcho, AContinuedCommandIsShownFromItsFirstLine) {
  RecordingSink sink;
  CommandEcho echo(sink, "echo a\ncargo build \\\n  --release");
  echo.Write("s", LogFd::kErr, "\x1eraibid-line 3\n");
  EXPECT_EQ(sink.SysLines(), std::vector<std::string>{"$ cargo build \\\n"});
  EXPECT_EQ(echo.LastLine(), " at line 2: cargo build \\");
}

}  // namespace
}  // namespace raibid
