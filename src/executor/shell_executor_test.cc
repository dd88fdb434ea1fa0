// Real processes throughout; this test binary doubles as the reaper (its main() dispatches
// `__reaper`).
#include "executor/shell_executor.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <functional>

#include "support/process_gone.h"
#include "support/recording_sink.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;
using testing::RecordingSink;

using testing::Gone;

pid_t ReadPid(const std::filesystem::path& file) {
  return static_cast<pid_t>(std::stol(testing::ReadFile(file)));
}

// Shell lines that start `sleep 300` in a new session, write its pid to `file`, and wait for it.
std::string SetsidSleeper(const std::filesystem::path& file) {
  const std::string p = file.string();
  return "setsid sh -c 'echo $$ > " + p + ".tmp; mv " + p + ".tmp " + p +
         "; exec sleep 300' &\n"
         "while [ ! -s " +
         p + " ]; do sleep 0.01; done\n";
}

class ShellExecutorTest : public ::testing::Test {
 protected:
  StepOutcome Run(const std::string& script, std::optional<Millis> step_timeout = {},
                  Millis job_timeout = seconds(60), Millis extension = Millis(0)) {
    JobDeadline deadline(Clock::now(), job_timeout, extension);
    StepSpec step{.name = "test",
                  .script = script,
                  .workdir = dir_.path(),
                  .env = env_,
                  .step_timeout = step_timeout};
    return executor_.RunStep(step, sink_, deadline, stop_);
  }

  testing::TempDir dir_;
  std::map<std::string, std::string> env_;
  ShellExecutor executor_{std::filesystem::read_symlink("/proc/self/exe")};
  RecordingSink sink_;
  StopSource stop_;
};

TEST_F(ShellExecutorTest, SeparatesStdoutAndStderrKeepingEachInOrder) {
  auto outcome = Run("echo a; echo b >&2; echo c; echo d >&2");
  EXPECT_EQ(outcome.result, StepResult::kSucceeded);
  EXPECT_EQ(outcome.exit_code, 0);
  EXPECT_EQ(sink_.Text(LogFd::kOut), "a\nc\n");
  EXPECT_EQ(sink_.Text(LogFd::kErr), "b\nd\n");
  for (const auto& e : sink_.entries()) EXPECT_EQ(e.step, "test");
  EXPECT_GE(sink_.flushes(), 1);
}

TEST_F(ShellExecutorTest, WritesStepBoundariesAsSysLines) {
  Run("\n  echo first  \necho more");
  auto sys = sink_.SysLines();
  ASSERT_EQ(sys.size(), 3u);
  EXPECT_EQ(sys[0], "$ echo first\n");
  EXPECT_EQ(sink_.entries().front().fd, LogFd::kSys);
  EXPECT_EQ(sys[1], "$ echo more\n");
  EXPECT_TRUE(sys[2].starts_with("step test exited with code 0 (in ")) << sys[2];
  EXPECT_EQ(sink_.entries().back().fd, LogFd::kSys);
  sink_.Clear();
  Run("");
  EXPECT_EQ(sink_.SysLines().front(), "step test started\n");
}

TEST_F(ShellExecutorTest, DeliversOutputWhileTheStepIsStillRunning) {
  // The script waits for a file that the sink creates when it sees the first line: it only ends
  // if output is forwarded as it arrives.
  const auto go = dir_.path() / "go";
  sink_.on_write = [&](LogFd, std::string_view data) {
    if (data.find("ready") != std::string_view::npos) testing::WriteFile(go, "");
  };
  auto outcome =
      Run("echo ready\nwhile [ ! -f go ]; do sleep 0.01; done\necho done", milliseconds(10000));
  EXPECT_EQ(outcome.result, StepResult::kSucceeded);
  EXPECT_EQ(sink_.Text(LogFd::kOut), "ready\ndone\n");
}

TEST_F(ShellExecutorTest, MultiLineScriptIsOneScriptStoppingAtTheFirstFailingLine) {
  auto outcome = Run("X=kept\necho $X\nfalse\necho never");
  EXPECT_EQ(outcome.result, StepResult::kFailed);
  EXPECT_EQ(outcome.exit_code, 1);
  EXPECT_EQ(outcome.message, "step 'test' exited with code 1 at line 3: false");
  EXPECT_EQ(sink_.Text(LogFd::kOut), "kept\n");
}

// The echo (a sys line, from the shell's stderr side) and the output (stdout) come through two
// pipes, so only each one's own order is certain.
TEST_F(ShellExecutorTest, EachLineIsEchoedOnceAsItStarts) {
  auto outcome = Run("echo compiling\nfor i in 1 2; do\n  echo \"pass $i\"\ndone\necho linked");
  EXPECT_EQ(outcome.result, StepResult::kSucceeded);
  const std::string sys = sink_.Text(LogFd::kSys);
  EXPECT_EQ(sys.substr(0, sys.find("step test exited")),
            "$ echo compiling\n$ for i in 1 2; do\n$ echo \"pass $i\"\n$ echo linked\n");
  EXPECT_EQ(sink_.Text(LogFd::kOut), "compiling\npass 1\npass 2\nlinked\n");
}

// stdout and stderr are two pipes, read in whatever order they become ready; each line's echo
// still comes after the lines before it printed and before its own output, on either stream.
TEST_F(ShellExecutorTest, EachEchoComesBetweenThePreviousLinesOutputAndItsOwn) {
  std::string script;
  constexpr int kLines = 300;
  for (int i = 1; i <= kLines; ++i) {
    script += "printf 'o" + std::to_string(i) + " '; echo e" + std::to_string(i) + " >&2\n";
  }
  ASSERT_EQ(Run(script).result, StepResult::kSucceeded);
  std::string order;  // "|" for an echo, then what each line printed
  for (const auto& entry : sink_.entries()) {
    if (entry.fd == LogFd::kSys) {
      if (entry.data.starts_with("$ ")) order += "|";
    } else {
      order += entry.data;
    }
  }
  // The first "|" is the executor's start line, showing line 1; CommandEcho echoes the rest.
  std::string want;
  for (int i = 1; i <= kLines; ++i) {
    want += "|o" + std::to_string(i) + " e" + std::to_string(i) + "\n";
  }
  // Within one line the two streams may interleave either way: compare line by line, sorted.
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    size_t at = 0;
    for (size_t bar = text.find('|'); at <= text.size(); bar = text.find('|', at)) {
      std::string part = text.substr(at, bar == std::string::npos ? std::string::npos : bar - at);
      std::sort(part.begin(), part.end());
      out.push_back(part);
      if (bar == std::string::npos) break;
      at = bar + 1;
    }
    return out;
  };
  EXPECT_EQ(lines(order), lines(want)) << order;
}

// What the step's processes used comes from the reaper's rusage: CPU summed over the tree, memory
// the largest process's (here bash holding 20 MB in a variable).
TEST_F(ShellExecutorTest, TheStepsCpuAndPeakMemoryAreMeasured) {
  auto outcome =
      Run("x=$(head -c 20000000 /dev/zero | tr '\\0' a); echo ${#x}\n"
          "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done");
  ASSERT_EQ(outcome.result, StepResult::kSucceeded) << outcome.message;
  ASSERT_TRUE(outcome.cpu_seconds.has_value());
  EXPECT_GT(*outcome.cpu_seconds, 0.05);
  ASSERT_TRUE(outcome.peak_memory_bytes.has_value());
  EXPECT_GT(*outcome.peak_memory_bytes, 19u << 20);
  EXPECT_LT(*outcome.peak_memory_bytes, 1u << 30);
}

TEST_F(ShellExecutorTest, EchoingChangesNothingTheScriptSees) {
  auto outcome =
      Run("echo \"args=$# zero=${0##*/}\"\nfalse && echo no\necho \"status=$?\"\n"
          "if [ -n x ]; then echo branch; fi\ncat <<EOF\nheredoc $((1 + 1))\nEOF\n"
          "exec 2>err.txt\necho hidden >&2\nexit 7");
  EXPECT_EQ(outcome.exit_code, 7);
  EXPECT_EQ(sink_.Text(LogFd::kOut), "args=0 zero=bash\nstatus=1\nbranch\nheredoc 2\n");
  EXPECT_EQ(testing::ReadFile(dir_.path() / "err.txt"), "hidden\n");
  EXPECT_EQ(outcome.message, "step 'test' exited with code 7 at line 10: exit 7");
}

TEST_F(ShellExecutorTest, AStatusOf128PlusNNamesTheSignal) {
  auto outcome = Run("yes | head -n 1 >/dev/null");
  EXPECT_EQ(outcome.exit_code, 141);
  EXPECT_NE(outcome.message.find("exited with code 141 (SIGPIPE: a process wrote to a pipe"),
            std::string::npos)
      << outcome.message;
  EXPECT_NE(sink_.SysLines().back().find("141 (SIGPIPE"), std::string::npos);
}

TEST_F(ShellExecutorTest, PipefailFailsAPipelineWhoseFirstCommandFails) {
  auto outcome = Run("false | true\necho never");
  EXPECT_EQ(outcome.result, StepResult::kFailed);
  EXPECT_EQ(sink_.Text(LogFd::kOut), "");
}

TEST_F(ShellExecutorTest, PlainShFallbackStillStopsAtTheFirstFailingLine) {
  ShellExecutor sh(std::filesystem::read_symlink("/proc/self/exe"), {.shell = "/bin/sh"});
  JobDeadline deadline(Clock::now(), seconds(60), Millis(0));
  StepSpec step{.name = "sh",
                .script = "false | true\necho piped\nfalse\necho never",
                .workdir = dir_.path()};
  auto outcome = sh.RunStep(step, sink_, deadline, stop_);
  EXPECT_EQ(outcome.result, StepResult::kFailed);
  EXPECT_EQ(sink_.Text(LogFd::kOut), "piped\n");
}

TEST_F(ShellExecutorTest, ReportsTheScriptsExitCode) {
  auto outcome = Run("exit 42");
  EXPECT_EQ(outcome.result, StepResult::kFailed);
  EXPECT_EQ(outcome.exit_code, 42);
  EXPECT_TRUE(
      sink_.SysLines().back().starts_with("step test exited with code 42 at line 1: exit 42 (in "));
}

TEST_F(ShellExecutorTest, AScriptKilledBySignalExitsWith128PlusTheSignal) {
  auto outcome = Run("kill -KILL $$");
  EXPECT_EQ(outcome.result, StepResult::kFailed);
  EXPECT_EQ(outcome.exit_code, 128 + SIGKILL);
}

TEST_F(ShellExecutorTest, AppliesTheStepsEnvironmentAndWorkdirButNotTheAgentsVariables) {
  setenv("RAIBID_TEST_FROM_AGENT", "agent", 1);
  setenv("RAIBID_TEST_OVERRIDDEN", "agent", 1);
  env_ = {{"RAIBID_TEST_OVERRIDDEN", "step"}, {"RAIBID_STEP", "build"}};
  auto outcome = Run("echo [$RAIBID_TEST_FROM_AGENT] $RAIBID_TEST_OVERRIDDEN $RAIBID_STEP; pwd");
  unsetenv("RAIBID_TEST_FROM_AGENT");
  unsetenv("RAIBID_TEST_OVERRIDDEN");
  EXPECT_EQ(outcome.result, StepResult::kSucceeded);
  EXPECT_EQ(sink_.Text(LogFd::kOut), "[] step build\n" + dir_.path().string() + "\n");
}

TEST_F(ShellExecutorTest, StdinIsDevNull) {
  auto outcome = Run("cat\nread line || echo eof", milliseconds(10000));
  EXPECT_EQ(outcome.result, StepResult::kSucceeded);
  EXPECT_EQ(sink_.Text(LogFd::kOut), "eof\n");
}

TEST_F(ShellExecutorTest, MissingWorkdirIsAnError) {
  JobDeadline deadline(Clock::now(), seconds(60), Millis(0));
  StepSpec step{.name = "test", .script = "true", .workdir = dir_.path() / "missing"};
  auto outcome = executor_.RunStep(step, sink_, deadline, stop_);
  EXPECT_EQ(outcome.result, StepResult::kError);
  EXPECT_NE(outcome.message.find("missing"), std::string::npos);
}

TEST_F(ShellExecutorTest, HardTimeoutKillsSetsidAndDoubleForkedDescendants) {
  const auto daemon = dir_.path() / "daemon", orphan = dir_.path() / "orphan";
  // The orphan is double-forked and keeps the stdout pipe open.
  const std::string script = SetsidSleeper(daemon) + "(sh -c 'echo $$ > " + orphan.string() +
                             "; exec sleep 300' &)\n"
                             "while [ ! -s " +
                             orphan.string() +
                             " ]; do sleep 0.01; done\n"
                             "sleep 300";
  const auto start = Clock::now();
  auto outcome = Run(script, {}, milliseconds(500));
  EXPECT_LT(Clock::now() - start, milliseconds(1500));
  EXPECT_EQ(outcome.result, StepResult::kTimedOut);
  EXPECT_EQ(outcome.message, "job timeout of 500ms reached; step 'test' killed");
  EXPECT_TRUE(Gone(ReadPid(daemon)));
  EXPECT_TRUE(Gone(ReadPid(orphan)));
}

TEST_F(ShellExecutorTest, StepTimeoutKillsTheStep) {
  auto outcome = Run("sleep 300", milliseconds(200));
  EXPECT_EQ(outcome.result, StepResult::kTimedOut);
  EXPECT_EQ(outcome.exit_code, -1);
  EXPECT_EQ(outcome.message, "step timeout of 200ms reached; step 'test' killed");
  EXPECT_TRUE(sink_.SysLines().back().starts_with(outcome.message + " (after "));
}

TEST_F(ShellExecutorTest, ShellExitingWithABackgroundChildReturnsPromptlyAndKillsIt) {
  const auto start = Clock::now();
  auto outcome = Run("sleep 300 &\necho $! > bg.pid");
  EXPECT_LT(Clock::now() - start, seconds(2));
  EXPECT_EQ(outcome.result, StepResult::kSucceeded);
  EXPECT_TRUE(Gone(ReadPid(dir_.path() / "bg.pid")));
}

TEST_F(ShellExecutorTest, SoftTimeoutWarnsOnceAndExtends) {
  auto outcome = Run("sleep 0.5; echo finished", {}, milliseconds(100), seconds(30));
  EXPECT_EQ(outcome.result, StepResult::kSucceeded);
  EXPECT_EQ(sink_.Text(LogFd::kOut), "finished\n");
  int warnings = 0;
  for (const auto& line : sink_.SysLines()) {
    if (line.starts_with("warning:")) {
      ++warnings;
      EXPECT_EQ(line,
                "warning: job reached its timeout of 100ms; extended once by 30s before it is "
                "killed\n");
    }
  }
  EXPECT_EQ(warnings, 1);
}

TEST_F(ShellExecutorTest, CancelEndsTheTreeWithinOneSecond) {
  const auto daemon = dir_.path() / "daemon";
  Clock::time_point requested;
  sink_.on_write = [&](LogFd fd, std::string_view data) {
    if (fd == LogFd::kOut && data.find("ready") != std::string_view::npos) {
      requested = Clock::now();
      stop_.RequestStop(StopReason::kCancelled);
    }
  };
  auto outcome = Run(SetsidSleeper(daemon) + "echo ready\nsleep 300");
  EXPECT_LT(Clock::now() - requested, seconds(1));
  EXPECT_EQ(outcome.result, StepResult::kCancelled);
  EXPECT_EQ(outcome.message, "step 'test' cancelled");
  EXPECT_TRUE(Gone(ReadPid(daemon)));
}

TEST_F(ShellExecutorTest, StopForShutdownSaysSo) {
  stop_.RequestStop(StopReason::kShutdown);
  auto outcome = Run("sleep 300");
  EXPECT_EQ(outcome.result, StepResult::kCancelled);
  EXPECT_EQ(outcome.message, "step 'test' stopped: the agent is shutting down");
}

TEST_F(ShellExecutorTest, LargeOutputIsDeliveredInFull) {
  auto outcome = Run("head -c 52428800 /dev/zero\necho end >&2");
  EXPECT_EQ(outcome.result, StepResult::kSucceeded);
  size_t bytes = 0;
  for (const auto& e : sink_.entries()) {
    if (e.fd == LogFd::kOut) bytes += e.data.size();
  }
  EXPECT_EQ(bytes, 52428800u);
  EXPECT_EQ(sink_.Text(LogFd::kErr), "end\n");
}

TEST_F(ShellExecutorTest, LargeOutputKeepsItsBytesInOrder) {
  auto outcome = Run("seq 1 300000");
  EXPECT_EQ(outcome.result, StepResult::kSucceeded);
  std::string expected;
  for (int i = 1; i <= 300000; ++i) expected += std::to_string(i) + "\n";
  EXPECT_TRUE(sink_.Text(LogFd::kOut) == expected);
}

// Sets a variable in this (the agent's) process for the test's length.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = getenv(name)) old_ = old;
    setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_F(ShellExecutorTest, StepsDoNotInheritTheAgentsEnvironment) {
  ScopedEnv password("REDIS_PASSWORD", "agent-only-value");
  env_["FROM_THE_JOB"] = "yes";
  ASSERT_EQ(Run("printenv; command -v sh >/dev/null").result, StepResult::kSucceeded);
  const std::string out = sink_.Text(LogFd::kOut);
  EXPECT_EQ(out.find("REDIS_PASSWORD"), std::string::npos) << out;
  EXPECT_EQ(out.find("agent-only-value"), std::string::npos) << out;
  EXPECT_NE(out.find("FROM_THE_JOB=yes\n"), std::string::npos) << out;
  EXPECT_NE(out.find("PATH="), std::string::npos) << out;
}

TEST_F(ShellExecutorTest, StepsGetTheListedVariablesOfTheAgentAndTheStepsOwnWin) {
  ScopedEnv listed("RAIBID_TEST_LISTED", "passed");
  ScopedEnv path_override("RAIBID_TEST_OVERRIDDEN", "agent's");
  ShellExecutor executor(std::filesystem::read_symlink("/proc/self/exe"),
                         {.env_passthrough = {"PATH", "RAIBID_TEST_LISTED",
                                              "RAIBID_TEST_OVERRIDDEN", "RAIBID_TEST_NOT_SET"}});
  JobDeadline deadline(Clock::now(), seconds(60), Millis(0));
  StepSpec step{.name = "env",
                .script = "printenv | grep ^RAIBID_TEST_ | sort",
                .workdir = dir_.path(),
                .env = {{"RAIBID_TEST_OVERRIDDEN", "step's"}}};
  ASSERT_EQ(executor.RunStep(step, sink_, deadline, stop_).result, StepResult::kSucceeded);
  EXPECT_EQ(sink_.Text(LogFd::kOut), "RAIBID_TEST_LISTED=passed\nRAIBID_TEST_OVERRIDDEN=step's\n");
}

// A job of the shell executor's, begun on directories under dir_ (reachable by any user).
class ShellSessionTest : public ShellExecutorTest {
 protected:
  ShellSessionTest() {
    std::filesystem::permissions(dir_.path(), std::filesystem::perms(0755));
    std::filesystem::create_directories(job_.workspace);
    testing::WriteFile(job_.workspace / "checked-out", "x");
  }
  StepOutcome RunIn(ShellExecutor& executor, const std::string& script) {
    auto session = executor.Begin(job_, sink_, stop_);
    EXPECT_TRUE(session) << session.error().message;
    if (!session) return {};
    JobDeadline deadline(Clock::now(), seconds(60), Millis(0));
    return (*session)->RunStep({.name = "s", .script = script, .workdir = job_.workspace}, sink_,
                               deadline, stop_);
  }
  JobEnvironment job_{
      .job_id = "j", .workspace = dir_.path() / "j", .cache_home = dir_.path() / "j.home"};
};

TEST_F(ShellSessionTest, ServicesAndStepImagesAreRefusedNamingTheDockerExecutor) {
  ShellExecutor executor(std::filesystem::read_symlink("/proc/self/exe"));
  job_.services = {{.name = "db", .image = "postgres:16"}};
  auto with_service = executor.Begin(job_, sink_, stop_);
  ASSERT_FALSE(with_service);
  EXPECT_EQ(with_service.error().kind, ErrorKind::kInvalidPipeline);
  EXPECT_NE(with_service.error().message.find("services need the docker executor"),
            std::string::npos);
  job_.services.clear();
  job_.step_images = {"localhost/tools/clippy:latest"};
  auto with_image = executor.Begin(job_, sink_, stop_);
  ASSERT_FALSE(with_image);
  EXPECT_NE(with_image.error().message.find("(localhost/tools/clippy:latest) needs the docker"),
            std::string::npos);
}

TEST_F(ShellSessionTest, HomeIsTheJobsCacheHomeNotTheAgents) {
  ShellExecutor executor(std::filesystem::read_symlink("/proc/self/exe"));
  ASSERT_EQ(RunIn(executor, "echo $HOME; touch ~/made").result, StepResult::kSucceeded);
  EXPECT_EQ(sink_.Text(LogFd::kOut), job_.cache_home.string() + "\n");
  EXPECT_TRUE(std::filesystem::exists(job_.cache_home / "made"));
}

TEST_F(ShellSessionTest, AStepOfAnotherUserCannotReadTheAgentsFilesButWritesItsOwn) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  const auto secret = dir_.path() / "agent-secret";
  testing::WriteFile(secret, "agent-only");
  std::filesystem::permissions(secret, std::filesystem::perms(0600));
  ShellExecutor executor(std::filesystem::read_symlink("/proc/self/exe"),
                         {.user = UserIds{.uid = 65534, .gid = 65534}});
  auto outcome = RunIn(executor, "id -u\n! cat " + secret.string() +
                                     "\necho built > out\nrm checked-out\ntouch ~/cached");
  EXPECT_EQ(outcome.result, StepResult::kSucceeded) << sink_.Text(LogFd::kErr);
  EXPECT_EQ(sink_.Text(LogFd::kOut), "65534\n");
  EXPECT_NE(sink_.Text(LogFd::kErr).find("Permission denied"), std::string::npos);
  EXPECT_EQ(testing::ReadFile(job_.workspace / "out"), "built\n");
  EXPECT_TRUE(std::filesystem::exists(job_.cache_home / "cached"));
}

}  // namespace
}  // namespace raibid
