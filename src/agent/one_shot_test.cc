// One-shot agents (`run --once`, --max-jobs, --exit-after-idle) and agents on platform queues
// (agent.redis.streams), as real `raibid-agent run` processes on one Redis. Leases are 2 s here
// so takeovers happen within the test's patience.
#include <gtest/gtest.h>

#include "support/agent_process_config.h"
#include "support/git_repo.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using testing::ServerProcess;

class OneShotTest : public ::testing::Test {
 protected:
  OneShotTest() : repo_(dir_.path() / "repo") { repo_.Commit({{"README", "hi\n"}}); }
  // `yaml`: more agent keys, indented by two; `args`: more flags of `run`; `streams`:
  // agent.redis.streams.
  ServerProcess& StartAgent(const std::string& name, const std::string& yaml,
                            std::vector<std::string> args = {}, const std::string& streams = "") {
    const auto config = dir_.path() / (name + ".yaml");
    testing::WriteFile(
        config, "agent:\n  redis:\n    url: \"" + redis_.url() + "\"\n    streams: \"" + streams +
                    "\"\n    consumer_name: " + name + "\n  work_dir: \"" +
                    (dir_.path() / "work" / name).string() + "\"\n  cache:\n    path: \"" +
                    (dir_.path() / "cache").string() +
                    "\"\n  lease_seconds: 2\n  http:\n    listen: \"127.0.0.1:0\"\n" + yaml);
    std::vector<std::string> argv = {RAIBID_AGENT_BINARY, "run", "--config", config.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto& p = agents_[name];
    p = std::make_unique<ServerProcess>(argv, (dir_.path() / (name + ".log")).string());
    return *p;
  }
  void Submit(const std::string& id, const std::string& command,
              const std::string& stream = "ci-jobs") {
    redis_.Cli({"XADD", stream, "*", "job", testing::OneStepJob(id, repo_.file_url(), command)});
  }
  std::string Field(const std::string& id, const std::string& f) {
    return redis_.Cli({"HGET", "ci:job:" + id, f});
  }
  bool WaitState(const std::string& id, const std::string& state) {
    return testing::WaitFor([&] { return Field(id, "state") == state; }, std::chrono::seconds(30));
  }
  bool NothingPending(const std::string& stream) {
    return redis_.Cli({"XPENDING", stream, "ci-workers"}).substr(0, 1) == "0";
  }
  std::string Log(const std::string& name) {
    return testing::ReadFile(dir_.path() / (name + ".log"));
  }

  testing::RedisServer redis_;
  testing::TempDir dir_;
  testing::GitRepo repo_;
  std::map<std::string, std::unique_ptr<ServerProcess>> agents_;
};

TEST_F(OneShotTest, RunOnceExitsZeroAfterOneAcknowledgedJobLeavingTheNextQueued) {
  Submit("first", "echo one");
  Submit("second", "echo two");
  // Two slots: --once must not fill the second one.
  auto& a = StartAgent("a", "  concurrency: 2\n", {"--once"});
  EXPECT_EQ(a.WaitExit(30000), 0) << Log("a");
  EXPECT_EQ(Field("first", "state"), "succeeded");
  EXPECT_TRUE(NothingPending("ci-jobs"));
  EXPECT_EQ(Field("second", "state"), "");  // never taken
  EXPECT_EQ(redis_.Cli({"EXISTS", "ci:agent:a"}), "0");
  StartAgent("b", "");
  EXPECT_TRUE(WaitState("second", "succeeded")) << Log("b");
}

TEST_F(OneShotTest, MaxJobsExitsAfterThatManyJobsEnded) {
  for (const char* id : {"j1", "j2", "j3"}) Submit(id, "true");
  auto& a = StartAgent("a", "", {"--max-jobs", "2"});
  EXPECT_EQ(a.WaitExit(30000), 0) << Log("a");
  EXPECT_EQ(Field("j1", "state"), "succeeded");
  EXPECT_EQ(Field("j2", "state"), "succeeded");
  EXPECT_EQ(Field("j3", "state"), "");
  EXPECT_TRUE(NothingPending("ci-jobs"));
}

TEST_F(OneShotTest, ExitAfterIdleWaitsForTheRunningJobThenExitsZero) {
  Submit("slow", "sleep 2; echo done");
  auto& a = StartAgent("a", "  exit_after_idle: 1s\n");
  EXPECT_EQ(a.WaitExit(30000), 0) << Log("a");
  EXPECT_EQ(Field("slow", "state"), "succeeded");  // not interrupted by the idle limit
  EXPECT_NE(Log("a").find("exit_after_idle"), std::string::npos) << Log("a");
  EXPECT_TRUE(NothingPending("ci-jobs"));
}

TEST_F(OneShotTest, AgentsOnTwoQueuesEachTakeOnlyTheirOwnJobs) {
  StartAgent("arm", "", {}, "ci-jobs:linux-arm64");
  StartAgent("amd", "", {}, "ci-jobs:linux-amd64");
  for (const char* id : {"arm1", "arm2"}) Submit(id, "true", "ci-jobs:linux-arm64");
  for (const char* id : {"amd1", "amd2"}) Submit(id, "true", "ci-jobs:linux-amd64");
  for (const char* id : {"arm1", "arm2", "amd1", "amd2"}) ASSERT_TRUE(WaitState(id, "succeeded"));
  EXPECT_EQ(Field("arm1", "agent"), "arm");
  EXPECT_EQ(Field("arm2", "agent"), "arm");
  EXPECT_EQ(Field("amd1", "agent"), "amd");
  EXPECT_EQ(Field("amd2", "agent"), "amd");
  EXPECT_TRUE(testing::WaitFor([&] {
    return NothingPending("ci-jobs:linux-arm64") && NothingPending("ci-jobs:linux-amd64");
  }));
}

TEST_F(OneShotTest, AKilledAgentsJobOnAPlatformQueueIsTakenOverThere) {
  const std::string queue = "ci-jobs:linux-arm64";
  StartAgent("a", "", {}, queue);
  Submit("crash", "sleep 1.5; echo finished", "ci-jobs:linux-arm64");
  ASSERT_TRUE(WaitState("crash", "running"));
  agents_["a"]->Stop();  // SIGKILL
  StartAgent("b", "", {}, queue);
  ASSERT_TRUE(WaitState("crash", "succeeded")) << Log("b");
  EXPECT_EQ(Field("crash", "agent"), "b");
  EXPECT_EQ(Field("crash", "attempt"), "2");
  EXPECT_TRUE(testing::WaitFor([&] { return NothingPending("ci-jobs:linux-arm64"); }));
}

TEST_F(OneShotTest, OnceOnTwoQueuesTakesOneJobAndLeavesTheOtherForTheNextAgent) {
  const std::string both = "q:a, q:b";
  Submit("on-a", "true", "q:a");
  Submit("on-b", "true", "q:b");
  auto& first = StartAgent("first", "", {"--once"}, both);
  EXPECT_EQ(first.WaitExit(30000), 0) << Log("first");
  EXPECT_EQ(Field("on-a", "state"), "succeeded");
  EXPECT_EQ(Field("on-b", "state"), "");
  auto& second = StartAgent("second", "", {"--once"}, both);
  EXPECT_EQ(second.WaitExit(30000), 0) << Log("second");
  EXPECT_EQ(Field("on-b", "state"), "succeeded");
  EXPECT_EQ(Field("on-b", "attempt"), "1");
  EXPECT_TRUE(NothingPending("q:a") && NothingPending("q:b"));
}

}  // namespace
}  // namespace raibid
