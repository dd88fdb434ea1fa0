#include "process/run_command.h"

#include <fcntl.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "util/unique_fd.h"

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

// The descriptors of the process that runs `ls /proc/self/fd`, one per line.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(RunCommand, DescriptorsWithoutCloexecDoNotLeakIntoTheCommand) {
  UniqueFd devnull(open("/dev/null", O_RDONLY));  // no O_CLOEXEC, like a hiredis socket
  ASSERT_TRUE(devnull.valid());
  // Far above what ls opens itself, so a listed number can only be the leaked one.
  UniqueFd leaky(fcntl(devnull.get(), F_DUPFD, 100));
  ASSERT_GE(leaky.get(), 100);
  auto r = RunCommand({.argv = {"ls", "/proc/self/fd"}});
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->exit_code, 0) << r->err;
  const auto fds = Lines(r->out);
  EXPECT_EQ(std::count(fds.begin(), fds.end(), "2"), 1) << r->out;
  EXPECT_EQ(std::count(fds.begin(), fds.end(), std::to_string(leaky.get())), 0) << r->out;
}

TEST(FreshEnvironment, HoldsOnlyDefaultsPassedThroughVariablesAndTheSetOnes) {
  setenv("RAIBID_TEST_PASSED", "from-agent", 1);
  setenv("RAIBID_TEST_SECRET", "agent-only", 1);
  const auto env =
      FreshEnvironment({{"HOME", "/job/home"}, {"RAIBID_TEST_PASSED", "default"}},
                       {"RAIBID_TEST_PASSED", "RAIBID_TEST_UNSET_IN_AGENT"}, {{"CI", "true"}});
  unsetenv("RAIBID_TEST_PASSED");
  unsetenv("RAIBID_TEST_SECRET");
  EXPECT_EQ(env, (std::vector<std::string>{"CI=true", "HOME=/job/home",
                                           "RAIBID_TEST_PASSED=from-agent"}));
}

TEST(FreshEnvironment, SetVariablesWinOverPassedThroughOnes) {
  const auto env = FreshEnvironment({}, {"PATH"}, {{"PATH", "/job/bin"}});
  EXPECT_EQ(env, std::vector<std::string>{"PATH=/job/bin"});
}

TEST(RunCommand, MissingBinaryIsAnError) {
  auto r = RunCommand({.argv = {"raibid-no-such-binary"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("raibid-no-such-binary"), std::string::npos);
}

}  // namespace
}  // namespace raibid
