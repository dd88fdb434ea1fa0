#include "process/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <sstream>

#include "support/process_gone.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using testing::TempDir;

SubprocessOptions Options(std::vector<std::string> argv,
                          std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin"}) {
  return {.reaper_binary = std::filesystem::read_symlink("/proc/self/exe"),
          .argv = std::move(argv),
          .env = std::move(env)};
}

struct Output {
  std::string out, err;
};

// Reads both pipes to end-of-file.
Output ReadAll(const Subprocess& p) {
  Output o;
  pollfd fds[2] = {{p.out_fd(), POLLIN, 0}, {p.err_fd(), POLLIN, 0}};
  std::string* into[2] = {&o.out, &o.err};
  char buf[4096];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (poll(fds, 2, 10000) <= 0) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) into[i]->append(buf, n);
      if (n == 0 || (n < 0 && errno != EAGAIN)) fds[i].fd = -1;
    }
  }
  return o;
}

using testing::Gone;

TEST(Subprocess, SeparatesStdoutAndStderrAndReturnsTheExitCode) {
  auto p = Subprocess::Start(Options({"sh", "-c", "echo out; echo err >&2; exit 4"}));
  ASSERT_TRUE(p.has_value()) << p.error().message;
  Output o = ReadAll(*p);
  EXPECT_EQ(o.out, "out\n");
  EXPECT_EQ(o.err, "err\n");
  EXPECT_EQ(p->Wait(), 4);
  EXPECT_FALSE(p->running());
  EXPECT_EQ(p->Wait(), 4);
}

TEST(Subprocess, GivesTheCommandExactlyTheGivenEnvironmentAndCwd) {
  TempDir dir;
  // The reaper's mark is there only where it cannot be a subreaper (reaper.h).
  auto opts =
      Options({"sh", "-c", "pwd; env | grep ^RAIBID_ | grep -v ^RAIBID_REAPER_MARK= | sort"},
              {"PATH=/usr/bin:/bin", "RAIBID_A=1", "RAIBID_B=two words"});
  opts.cwd = dir.path();
  auto p = Subprocess::Start(opts);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(ReadAll(*p).out, dir.path().string() + "\nRAIBID_A=1\nRAIBID_B=two words\n");
  EXPECT_EQ(p->Wait(), 0);
}

TEST(Subprocess, RunsTheCommandAsTheGivenUserWhileTheReaperKeepsItsOwn) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  auto opts = Options({"sh", "-c", "id -u; id -g; ps -o user= -p $PPID"});
  opts.user = UserIds{.uid = 65534, .gid = 65534};
  auto p = Subprocess::Start(opts);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(ReadAll(*p).out, "65534\n65534\nroot\n");
  EXPECT_EQ(p->Wait(), 0);
}

TEST(Subprocess, StdinIsDevNull) {
  auto p = Subprocess::Start(Options({"cat"}));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(ReadAll(*p).out, "");
  EXPECT_EQ(p->Wait(), 0);
}

TEST(Subprocess, DescriptorsWithoutCloexecDoNotLeakIntoTheCommand) {
  UniqueFd devnull(open("/dev/null", O_RDONLY));  // no O_CLOEXEC, like a hiredis socket
  ASSERT_TRUE(devnull.valid());
  // Far above what ls opens itself, so a listed number can only be the leaked one.
  UniqueFd leaky(fcntl(devnull.get(), F_DUPFD, 100));
  ASSERT_GE(leaky.get(), 100);
  auto p = Subprocess::Start(Options({"ls", "/proc/self/fd"}));
  ASSERT_TRUE(p.has_value());
  const std::string out = ReadAll(*p).out;
  EXPECT_EQ(p->Wait(), 0);
  std::istringstream lines(out);
  std::vector<std::string> fds;
  for (std::string fd; std::getline(lines, fd);) fds.push_back(fd);
  EXPECT_EQ(std::count(fds.begin(), fds.end(), "2"), 1) << out;
  EXPECT_EQ(std::count(fds.begin(), fds.end(), std::to_string(leaky.get())), 0) << out;
}

TEST(Subprocess, MissingWorkingDirectoryIsAnError) {
  auto opts = Options({"true"});
  opts.cwd = "/nonexistent/raibid";
  auto p = Subprocess::Start(opts);
  ASSERT_FALSE(p.has_value());
  EXPECT_NE(p.error().message.find("/nonexistent/raibid"), std::string::npos);
}

TEST(Subprocess, TerminateEndsTheWholeTreeQuickly) {
  TempDir dir;
  const std::string pid_file = (dir.path() / "pid").string();
  auto p = Subprocess::Start(Options(
      {"sh", "-c", "setsid sh -c 'echo $$ > " + pid_file + "; exec sleep 300' & sleep 300"}));
  ASSERT_TRUE(p.has_value());
  ASSERT_TRUE(testing::WaitFor([&] { return !testing::ReadFile(pid_file).empty(); }));
  const auto start = std::chrono::steady_clock::now();
  p->Terminate();
  EXPECT_EQ(p->Wait(), 128 + SIGTERM);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_TRUE(Gone(std::stoi(testing::ReadFile(pid_file))));
}

TEST(Subprocess, DestroyingARunningSubprocessReapsItsTree) {
  TempDir dir;
  const std::string pid_file = (dir.path() / "pid").string();
  pid_t reaper = -1;
  {
    auto p = Subprocess::Start(Options({"sh", "-c", "echo $$ > " + pid_file + "; sleep 300"}));
    ASSERT_TRUE(p.has_value());
    reaper = p->pid();
    ASSERT_TRUE(testing::WaitFor([&] { return !testing::ReadFile(pid_file).empty(); }));
  }
  EXPECT_TRUE(Gone(reaper));
  EXPECT_TRUE(Gone(std::stoi(testing::ReadFile(pid_file))));
}

TEST(Subprocess, ExitFdBecomesReadableWhenTheReaperExits) {
  auto p = Subprocess::Start(Options({"true"}));
  ASSERT_TRUE(p.has_value());
  pollfd fd{p->exit_fd(), POLLIN, 0};
  EXPECT_EQ(poll(&fd, 1, 10000), 1);
  EXPECT_EQ(p->Wait(), 0);
  EXPECT_EQ(p->exit_fd(), -1);
}

}  // namespace
}  // namespace raibid
