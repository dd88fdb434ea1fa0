#include "process/run_command.h"

#include <gtest/gtest.h>

namespace raibid {
namespace {

TEST(RunCommand, CollectsStdoutStderrAndExitCode) {
  auto r = RunCommand({.argv = {"sh", "-c", "echo out; echo err >&2; exit 3"}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(RunCommand, ArgumentsAreNotReparsedByAShell) {
  auto r = RunCommand({.argv = {"printf", "%s|", "a b", "$(touch /tmp/raibid-never)", ";"}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "a b|$(touch /tmp/raibid-never)|;|");
}

TEST(RunCommand, AppliesEnvironmentAndCwd) {
  auto r = RunCommand(
      {.argv = {"sh", "-c", "echo $RAIBID_X; pwd"}, .cwd = "/tmp", .env = {{"RAIBID_X", "42"}}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->out, "42\n/tmp\n");
}

TEST(RunCommand, KillsTheProcessGroupAtTimeout) {
  auto r = RunCommand(
      {.argv = {"sh", "-c", "sleep 30 & sleep 30"}, .timeout = std::chrono::milliseconds(200)});
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->timed_out);
  EXPECT_FALSE(r->ok());
}

TEST(RunCommand, MissingBinaryIsAnError) {
  auto r = RunCommand({.argv = {"raibid-no-such-binary"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("raibid-no-such-binary"), std::string::npos);
}

}  // namespace
}  // namespace raibid
