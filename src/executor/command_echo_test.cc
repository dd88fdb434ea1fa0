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
  echo.Write("s", LogFd::kOut, "\x1eraibid-line 2\n");
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
  echo.Write("s", LogFd::kOut, "b\x1eraibid-linen\n");
  echo.Flush();
  EXPECT_EQ(sink.Text(LogFd::kErr), "a\x1e\x1eraibid-line x\n\x1e");
  EXPECT_EQ(sink.Text(LogFd::kOut), "b\x1eraibid-linen\n");
  EXPECT_EQ(echo.LastLine(), "");
}

TEST(CommandEcho, AContinuedCommandIsShownFromItsFirstLine) {
  RecordingSink sink;
  CommandEcho echo(sink, "echo a\ncargo build \\\n  --release");
  echo.Write("s", LogFd::kErr, "\x1eraibid-line 3\n");
  echo.Write("s", LogFd::kOut, "\x1eraibid-line 3\n");
  EXPECT_EQ(sink.SysLines(), std::vector<std::string>{"$ cargo build \\\n"});
  EXPECT_EQ(echo.LastLine(), " at line 2: cargo build \\");
}

// The two pipes are read in whatever order they become ready: the stdout of line 2 may be read
// before the stderr that carries its marker. The echo still comes first.
TEST(CommandEcho, ALinesEchoComesBeforeItsOutputWhicheverPipeIsReadFirst) {
  RecordingSink sink;
  CommandEcho echo(sink, "echo one\nprintf 'split: '; echo two >&2");
  echo.Write("s", LogFd::kOut, "one\n\x1eraibid-line 2\nsplit: ");
  EXPECT_EQ(sink.Lines(), "s/out: one\n");  // line 2's output waits for the echo
  echo.Write("s", LogFd::kErr, "\x1eraibid-line 2\ntwo\n");
  EXPECT_EQ(sink.Lines(),
            "s/out: one\ns/sys: $ printf 'split: '; echo two >&2\ns/out: split: s/err: two\n");
}

// Output after a marker the other stream never matches is held only so long.
TEST(CommandEcho, AStreamAheadOfTheOtherGoesOnPastItsLimitAndAtFlush) {
  RecordingSink sink;
  CommandEcho echo(sink, "true\nyes");
  echo.Write("s", LogFd::kOut, "\x1eraibid-line 2\n");
  echo.Write("s", LogFd::kOut, std::string(300 << 10, 'y'));
  EXPECT_EQ(sink.SysLines(), std::vector<std::string>{"$ yes\n"});
  EXPECT_EQ(sink.Text(LogFd::kOut).size(), size_t{300} << 10);
  echo.Write("s", LogFd::kErr, "\x1eraibid-line 2\nlate\n");  // its barrier is already passed
  EXPECT_EQ(sink.Text(LogFd::kErr), "late\n");

  RecordingSink other;
  CommandEcho held(other, "true\nfalse");
  held.Write("s", LogFd::kErr, "\x1eraibid-line 2\nwhy\n");
  EXPECT_EQ(other.Lines(), "");
  held.Flush();
  EXPECT_EQ(other.Lines(), "s/sys: $ false\ns/err: why\n");
  EXPECT_EQ(held.LastLine(), " at line 2: false");
}

}  // namespace
}  // namespace raibid
