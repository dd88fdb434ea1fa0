// The reaper is run the way the executor runs it: this test binary's main() dispatches
// `__reaper`, so /proc/self/exe is a reaper binary.
#include "process/reaper.h"

#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>

#include "process/run_command.h"
#include "support/process_gone.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using std::chrono::milliseconds;
using testing::TempDir;

std::string SelfExe() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

CommandResult RunReaper(std::vector<std::string> command, const std::string& option = "") {
  std::vector<std::string> argv = {SelfExe(), kReaperArg};
  if (!option.empty()) argv.push_back(option);
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  auto r = RunCommand({.argv = argv, .timeout = milliseconds(20000)});
  EXPECT_TRUE(r.has_value());
  return r.value_or(CommandResult{});
}

// A shell snippet that starts `sleep 300` in a new session (out of reach of process-group kills)
// and waits until it has written its pid to `pid_file`.
std::string SetsidSleeper(const std::filesystem::path& pid_file) {
  const std::string p = pid_file.string();
  return "setsid sh -c 'echo $$ > " + p + ".tmp; mv " + p + ".tmp " + p +
         "; exec sleep 300' </dev/null >/dev/null 2>&1 &\n"
         "while [ ! -s " +
         p + " ]; do sleep 0.01; done\n";
}

pid_t ReadPid(const std::filesystem::path& pid_file) {
  return static_cast<pid_t>(std::stol(testing::ReadFile(pid_file)));
}

using testing::Gone;

TEST(Reaper, ExitsWithTheCommandsExitCode) {
  auto r = RunReaper({"sh", "-c", "echo hi; echo oops >&2; exit 7"});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.out, "hi\n");
  EXPECT_EQ(r.err, "oops\n");
}

TEST(Reaper, ReportsACommandKilledBySignalAs128PlusSignal) {
  EXPECT_EQ(RunReaper({"sh", "-c", "kill -9 $$"}).exit_code, 128 + SIGKILL);
  EXPECT_EQ(RunReaper({"sh", "-c", "kill -SEGV $$"}).exit_code, 128 + SIGSEGV);
}

TEST(Reaper, CommandThatCannotRunExits127WithAMessage) {
  auto r = RunReaper({"raibid-no-such-command"});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("raibid-no-such-command"), std::string::npos);
}

TEST(Reaper, MalformedCommandLineIsAUsageError) {
  auto r = RunCommand({.argv = {SelfExe(), kReaperArg, "sh"}});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 2);
}

// The tests that end a whole tree run twice: as a subreaper, and as where the kernel refuses that
// (qemu-user emulation), finding orphans by the environment mark instead.
class ReaperTree : public ::testing::TestWithParam<std::string> {};

INSTANTIATE_TEST_SUITE_P(Reaper, ReaperTree, ::testing::Values("", "--without-subreaper"),
                         [](const auto& info) {
                           return info.param.empty() ? "AsSubreaper" : "WithoutSubreaper";
                         });

TEST_P(ReaperTree, KillsAndReapsASetsidDaemonWhenTheCommandExits) {
  TempDir dir;
  auto r = RunReaper({"sh", "-c", SetsidSleeper(dir.path() / "pid") + "exit 3"}, GetParam());
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_TRUE(Gone(ReadPid(dir.path() / "pid")));
}

TEST_P(ReaperTree, KillsADoubleForkedChildThatHoldsTheOutputPipe) {
  TempDir dir;
  const std::string p = (dir.path() / "pid").string();
  // The subshell exits at once, so `sleep` is orphaned and keeps the stdout pipe open.
  auto r = RunReaper({"sh", "-c",
                      "(sh -c 'echo $$ > " + p +
                          "; exec sleep 300' &)\n"
                          "while [ ! -s " +
                          p + " ]; do sleep 0.01; done"},
                     GetParam());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.timed_out);
  EXPECT_TRUE(Gone(ReadPid(p)));
}

TEST_P(ReaperTree, AStopSignalKillsTheTreeAndExits143) {
  TempDir dir;
  // The outer shell plays the agent: it starts the reaper, then sends it SIGTERM once the tree
  // is up. RunCommand only returns when nothing holds its pipes any more.
  const std::string inner = SetsidSleeper(dir.path() / "pid") + "sleep 300";
  auto r = RunCommand({.argv = {"sh", "-c",
                                "\"$0\" __reaper $2 -- sh -c \"$1\" &\n"
                                "while [ ! -s " +
                                    (dir.path() / "pid").string() +
                                    " ]; do sleep 0.01; done\n"
                                    "kill -TERM $!; wait $!",
                                SelfExe(), inner, GetParam()},
                       .timeout = milliseconds(20000)});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 128 + SIGTERM);
  EXPECT_FALSE(r->timed_out);
  EXPECT_TRUE(Gone(ReadPid(dir.path() / "pid")));
}

TEST_P(ReaperTree, KillsTheTreeWhenItsParentDies) {
  TempDir dir;
  const auto pid_file = dir.path() / "pid";
  // The outer shell plays the agent and exits once the tree is up: the parent-death signal must
  // end the reaper, and with it the sleeper, or RunCommand would wait on the pipes it holds.
  const std::string inner = SetsidSleeper(pid_file) + "sleep 300";
  auto r = RunCommand({.argv = {"sh", "-c",
                                "\"$0\" __reaper $2 -- sh -c \"$1\" &\n"
                                "while [ ! -s " +
                                    pid_file.string() + " ]; do sleep 0.01; done",
                                SelfExe(), inner, GetParam()},
                       .timeout = milliseconds(20000)});
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->timed_out);
  const pid_t sleeper = ReadPid(pid_file);
  EXPECT_TRUE(testing::WaitFor([&] { return Gone(sleeper); }));
}

TEST(Reaper, DoesNotStartTheCommandWhenItsParentIsAlreadyGone) {
  TempDir dir;
  const auto marker = dir.path() / "ran";
  auto wrong_parent =
      RunCommand({.argv = {SelfExe(), kReaperArg, "--parent=1", "--", "touch", marker.string()}});
  ASSERT_TRUE(wrong_parent.has_value());
  EXPECT_EQ(wrong_parent->exit_code, 128 + SIGTERM);
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST(Reaper, RunsTheCommandAsTheGivenUserWithNoSupplementaryGroups) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  auto r = RunCommand({.argv = {SelfExe(), kReaperArg, "--user=65534:65534", "--", "sh", "-c",
                                "id -u; id -g; id -G"},
                       .timeout = milliseconds(20000)});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 0) << r->err;
  EXPECT_EQ(r->out, "65534\n65534\n65534\n");
}

TEST(Reaper, RefusesAMalformedUser) {
  for (const char* user : {"--user=", "--user=nobody", "--user=1:", "--user=:1", "--user=1:2:3"}) {
    auto r = RunCommand({.argv = {SelfExe(), kReaperArg, user, "--", "true"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->exit_code, 2) << user;
  }
}

}  // namespace
}  // namespace raibid
