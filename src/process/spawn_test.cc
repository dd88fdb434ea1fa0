#include "process/spawn.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <string>

namespace raibid {
namespace {

struct Ran {
  pid_t pid;
  int exit_code;
  std::string out;
};

// Every test runs with both ways of spawning: the default one on this machine is only one of them.
class SpawnTest : public ::testing::TestWithParam<SpawnMethod> {};

INSTANTIATE_TEST_SUITE_P(Spawn, SpawnTest,
                         ::testing::Values(SpawnMethod::kPosixSpawn, SpawnMethod::kForkExec),
                         [](const auto& info) {
                           return info.param == SpawnMethod::kPosixSpawn ? "PosixSpawn"
                                                                         : "ForkExec";
                         });

// posix_spawn reports a child's failed exec or chdir only where the default method is posix_spawn
// (not under qemu-user, which runs glibc's vfork-style clone as a plain fork).
bool PosixSpawnCannotReportFailuresHere(SpawnMethod method) {
  return method == SpawnMethod::kPosixSpawn && DefaultSpawnMethod() != SpawnMethod::kPosixSpawn;
}

// Runs `spec` with stdout and stderr on one pipe and collects both to end-of-file.
Ran RunChild(SpawnSpec spec, SpawnMethod method) {
  auto pipe = MakePipe();
  EXPECT_TRUE(pipe.has_value());
  spec.stdout_fd = spec.stderr_fd = pipe->write.get();
  if (spec.env.empty()) spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  auto pid = Spawn(spec, method);
  EXPECT_TRUE(pid.has_value()) << pid.error().message;
  if (!pid) return {-1, -1, ""};
  pipe->write.reset();
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(pipe->read.get(), buf, sizeof buf)) > 0;) out.append(buf, n);
  return {*pid, WaitExitCode(*pid), out};
}

// The process group of the shell that runs this, as it prints it.
const char* kPrintGroup = "read -r stat < /proc/$$/stat; set -- ${stat##*)}; echo $3";

TEST_P(SpawnTest, TheChildLeadsANewProcessGroupWhenAsked) {
  const Ran r = RunChild({.argv = {"sh", "-c", kPrintGroup}}, GetParam());
  EXPECT_EQ(r.out, std::to_string(r.pid) + "\n");
}

TEST_P(SpawnTest, TheChildStaysInTheAgentsProcessGroupOtherwise) {
  const Ran r =
      RunChild({.argv = {"sh", "-c", kPrintGroup}, .own_process_group = false}, GetParam());
  EXPECT_EQ(r.out, std::to_string(getpgrp()) + "\n");
}

TEST_P(SpawnTest, ASignalledChildExitsWith128PlusTheSignal) {
  EXPECT_EQ(RunChild({.argv = {"sh", "-c", "kill -TERM $$"}}, GetParam()).exit_code, 128 + SIGTERM);
  EXPECT_EQ(RunChild({.argv = {"sh", "-c", "exit 7"}}, GetParam()).exit_code, 7);
}

TEST_P(SpawnTest, SignalsTheAgentIgnoresAreDefaultInTheChild) {
  const auto old = signal(SIGTERM, SIG_IGN);
  const Ran r = RunChild({.argv = {"sh", "-c", "kill -TERM $$; echo survived"}}, GetParam());
  signal(SIGTERM, old);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.out;
}

TEST_P(SpawnTest, AProgramThatCannotStartIsAnErrorNamingIt) {
  if (PosixSpawnCannotReportFailuresHere(GetParam())) GTEST_SKIP() << "fork and exec used here";
  auto pid = Spawn({.argv = {"raibid-no-such-binary"}, .stdout_fd = 1, .stderr_fd = 2}, GetParam());
  ASSERT_FALSE(pid.has_value());
  EXPECT_EQ(pid.error().message, "cannot start raibid-no-such-binary: No such file or directory");
  EXPECT_EQ(pid.error().kind, ErrorKind::kInfrastructure);
  EXPECT_FALSE(pid.error().retryable);
}

TEST_P(SpawnTest, WithoutPathSearchArgv0IsAPath) {
  if (PosixSpawnCannotReportFailuresHere(GetParam())) GTEST_SKIP() << "fork and exec used here";
  auto pid =
      Spawn({.argv = {"sh"}, .search_path = false, .stdout_fd = 1, .stderr_fd = 2}, GetParam());
  EXPECT_FALSE(pid.has_value());  // no ./sh here
  EXPECT_EQ(RunChild({.argv = {"/bin/sh", "-c", "echo hi"}, .search_path = false}, GetParam()).out,
            "hi\n");
}

TEST_P(SpawnTest, AMissingWorkingDirectoryIsAnErrorNamingIt) {
  if (PosixSpawnCannotReportFailuresHere(GetParam())) GTEST_SKIP() << "fork and exec used here";
  auto pid = Spawn({.argv = {"true"},
                    .cwd = "/nonexistent/raibid",
                    .stdout_fd = 1,
                    .stderr_fd = 2,
                    .name = "true in /nonexistent/raibid"},
                   GetParam());
  ASSERT_FALSE(pid.has_value());
  EXPECT_EQ(pid.error().message,
            "cannot start true in /nonexistent/raibid: No such file or directory");
}

TEST_P(SpawnTest, TheChildGetsStdinFromDevNullAndOnlyDescriptors0To2) {
  const int leaked = dup(1);  // no O_CLOEXEC
  const Ran r =
      RunChild({.argv = {"sh", "-c", "ls /proc/self/fd; readlink /proc/self/fd/0"}}, GetParam());
  close(leaked);
  // ls' own directory descriptor is 3.
  EXPECT_EQ(r.out, "0\n1\n2\n3\n/dev/null\n");
}

TEST_P(SpawnTest, TheChildStartsWithNoSignalBlocked) {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  const Ran r = RunChild({.argv = {"sh", "-c", "grep SigBlk /proc/self/status"}}, GetParam());
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  EXPECT_EQ(r.out, "SigBlk:\t0000000000000000\n");
}

}  // namespace
}  // namespace raibid
