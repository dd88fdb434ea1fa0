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

// Runs `spec` with stdout and stderr on one pipe and collects both to end-of-file.
Ran RunChild(SpawnSpec spec) {
  auto pipe = MakePipe();
  EXPECT_TRUE(pipe.has_value());
  spec.stdout_fd = spec.stderr_fd = pipe->write.get();
  if (spec.env.empty()) spec.env = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  auto pid = Spawn(spec);
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

TEST(Spawn, TheChildLeadsANewProcessGroupWhenAsked) {
  const Ran r = RunChild({.argv = {"sh", "-c", kPrintGroup}});
  EXPECT_EQ(r.out, std::to_string(r.pid) + "\n");
}

TEST(Spawn, TheChildStaysInTheAgentsProcessGroupOtherwise) {
  const Ran r = RunChild({.argv = {"sh", "-c", kPrintGroup}, .own_process_group = false});
  EXPECT_EQ(r.out, std::to_string(getpgrp()) + "\n");
}

TEST(Spawn, ASignalledChildExitsWith128PlusTheSignal) {
  EXPECT_EQ(RunChild({.argv = {"sh", "-c", "kill -TERM $$"}}).exit_code, 128 + SIGTERM);
  EXPECT_EQ(RunChild({.argv = {"sh", "-c", "exit 7"}}).exit_code, 7);
}

TEST(Spawn, SignalsTheAgentIgnoresAreDefaultInTheChild) {
  const auto old = signal(SIGTERM, SIG_IGN);
  const Ran r = RunChild({.argv = {"sh", "-c", "kill -TERM $$; echo survived"}});
  signal(SIGTERM, old);
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.out;
}

TEST(Spawn, AProgramThatCannotStartIsAnErrorNamingIt) {
  auto pid = Spawn({.argv = {"raibid-no-such-binary"}, .stdout_fd = 1, .stderr_fd = 2});
  ASSERT_FALSE(pid.has_value());
  EXPECT_EQ(pid.error().message, "cannot start raibid-no-such-binary: No such file or directory");
  EXPECT_EQ(pid.error().kind, ErrorKind::kInfrastructure);
  EXPECT_FALSE(pid.error().retryable);
}

TEST(Spawn, WithoutPathSearchArgv0IsAPath) {
  auto pid = Spawn({.argv = {"sh"}, .search_path = false, .stdout_fd = 1, .stderr_fd = 2});
  EXPECT_FALSE(pid.has_value());  // no ./sh here
  EXPECT_EQ(RunChild({.argv = {"/bin/sh", "-c", "echo hi"}, .search_path = false}).out, "hi\n");
}

}  // namespace
}  // namespace raibid
