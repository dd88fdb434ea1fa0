// Several real `raibid-agent run` processes on one Redis: crashes, takeovers, drains, dead
// letters. Leases are 2 s here so takeovers happen within the test's patience.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "report/job_state.h"
#include "support/agent_process_config.h"
#include "support/git_repo.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using testing::ServerProcess;

class AgentProcessTest : public ::testing::Test {
 protected:
  AgentProcessTest() : repo_(dir_.path() / "repo") { repo_.Commit({{"README", "hi\n"}}); }
  void TearDown() override {
    // A final state is written just before its XACK: give the ack its moment.
    EXPECT_TRUE(testing::WaitFor([&] {
      return redis_.Cli({"XPENDING", "ci-jobs", "ci-workers"}).substr(0, 1) == "0";
    })) << "entries left pending";
    agents_.clear();
  }
  // `consumer`: the consumer name, when it is not `name`.
  ServerProcess& StartAgent(const std::string& name, const std::string& extra = "",
                            const std::string& consumer = "") {
    const auto config = dir_.path() / (name + ".yaml");
    testing::WriteFile(config,
                       "agent:\n  redis:\n    url: \"" + redis_.url() +
                           "\"\n    consumer_name: " + (consumer.empty() ? name : consumer) +
                           "\n  work_dir: \"" + (dir_.path() / "work" / name).string() +
                           "\"\n"
                           "  cache:\n    path: \"" +
                           (dir_.path() / "cache").string() +
                           "\"\n"
                           "  lease_seconds: 2\n  http:\n    listen: \"127.0.0.1:0\"\n" +
                           extra);
    auto& p = agents_[name];
    p.reset();
    p = std::make_unique<ServerProcess>(
        std::vector<std::string>{RAIBID_AGENT_BINARY, "run", "--config", config.string()},
        (dir_.path() / (name + ".log")).string());
    return *p;
  }
  void Submit(const std::string& id, const std::string& command) {
    redis_.Cli({"XADD", "ci-jobs", "*", "job", testing::OneStepJob(id, repo_.file_url(), command)});
  }
  std::string Field(const std::string& id, const std::string& f) {
    return redis_.Cli({"HGET", "ci:job:" + id, f});
  }
  bool WaitState(const std::string& id, const std::string& state,
                 std::chrono::seconds timeout = std::chrono::seconds(30)) {
    return testing::WaitFor([&] { return Field(id, "state") == state; }, timeout);
  }
  std::string AgentLog(const std::string& name) {
    return testing::ReadFile(dir_.path() / (name + ".log"));
  }

  testing::RedisServer redis_;
  testing::TempDir dir_;
  testing::GitRepo repo_;
  std::map<std::string, std::unique_ptr<ServerProcess>> agents_;
};

// The agent's log as JSON objects, one per line; fails the test on a line that is not one.
std::vector<nlohmann::json> JsonLines(const std::string& log) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    EXPECT_TRUE(parsed.is_object()) << "not a JSON line: " << line;
    lines.push_back(std::move(parsed));
  }
  return lines;
}

// The first line whose msg holds `text`, or null.
nlohmann::json Find(const std::vector<nlohmann::json>& lines, const std::string& text) {
  for (const auto& l : lines) {
    if (l.value("msg", "").find(text) != std::string::npos) return l;
  }
  return nullptr;
}

TEST_F(AgentProcessTest, InJsonEveryLineIsJsonAndAJobsStartAndEndCarryItsFacts) {
  auto& a = StartAgent("a", "  log:\n    format: json\n  no_such_key: 1\n");
  Submit("facts", "echo hi\\nfalse");
  ASSERT_TRUE(WaitState("facts", "failed"));
  ASSERT_TRUE(
      testing::WaitFor([&] { return AgentLog("a").find("job failed") != std::string::npos; }));
  EXPECT_EQ(a.Terminate(), 0);
  const auto lines = JsonLines(AgentLog("a"));
  EXPECT_NE(Find(lines, "a.yaml: agent.no_such_key (line"), nullptr);
  const auto address = Find(lines, "health and metrics on http://127.0.0.1:");
  ASSERT_NE(address, nullptr);
  EXPECT_EQ(address["msg"].get<std::string>().find(":0/"), std::string::npos) << address;
  EXPECT_NE(Find(lines, "connected to redis at 127.0.0.1:"), nullptr);
  const auto started = Find(lines, "job started");
  ASSERT_NE(started, nullptr);
  EXPECT_EQ(started["job_id"], "facts");
  EXPECT_EQ(started["ref"], "main");
  EXPECT_EQ(started["attempt"], 1);
  const auto ended = Find(lines, "job failed");
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(ended["job_id"], "facts");
  EXPECT_EQ(ended["repository"], repo_.file_url());
  EXPECT_EQ(ended["result"], "failed");
  EXPECT_EQ(ended["error_kind"], "step_failed");
  EXPECT_EQ(ended["attempt"], 1);
  EXPECT_TRUE(ended["duration_ms"].is_number()) << ended;
  EXPECT_NE(ended["error"].get<std::string>().find("at line 2: false"), std::string::npos);
}

TEST_F(AgentProcessTest, AfterRedisComesBackTheLogSaysSo) {
  StartAgent("a", "  log:\n    format: json\n");
  ASSERT_TRUE(testing::WaitFor(
      [&] { return AgentLog("a").find("connected to redis") != std::string::npos; }));
  redis_.Restart();
  ASSERT_TRUE(testing::WaitFor([&] {
    return AgentLog("a").find("reconnected to redis at") != std::string::npos;
  })) << AgentLog("a");
}

TEST_F(AgentProcessTest, AKilledAgentsJobIsTakenOverAndSucceedsWithAttemptTwo) {
  StartAgent("a");
  Submit("crash", "sleep 1.5; echo finished");
  ASSERT_TRUE(WaitState("crash", "running"));
  ASSERT_EQ(Field("crash", "agent"), "a");
  agents_["a"]->Stop();  // SIGKILL
  StartAgent("b");
  ASSERT_TRUE(WaitState("crash", "succeeded")) << Field("crash", "state") << AgentLog("b");
  EXPECT_EQ(Field("crash", "agent"), "b");
  EXPECT_EQ(Field("crash", "attempt"), "2");
}

TEST_F(AgentProcessTest, SigtermLetsTheRunningJobFinishThenExitsZero) {
  auto& a = StartAgent("a");
  Submit("drain", "sleep 1; echo done");
  ASSERT_TRUE(WaitState("drain", "running"));
  EXPECT_EQ(a.Terminate(), 0) << AgentLog("a");
  EXPECT_EQ(Field("drain", "state"), "succeeded");
  EXPECT_EQ(redis_.Cli({"EXISTS", "ci:agent:a"}), "0");
}

TEST_F(AgentProcessTest, AfterAShortGraceTheJobIsLeftForAnotherAgent) {
  auto& a = StartAgent("a", "  shutdown_grace_seconds: 0\n");
  Submit("handover", "sleep 2; echo done");
  ASSERT_TRUE(WaitState("handover", "running"));
  EXPECT_EQ(a.Terminate(), 0) << AgentLog("a");
  EXPECT_EQ(Field("handover", "state"), "running");
  StartAgent("b");
  ASSERT_TRUE(WaitState("handover", "succeeded")) << AgentLog("b");
  EXPECT_EQ(Field("handover", "agent"), "b");
}

TEST_F(AgentProcessTest, AJobThatKeepsKillingItsAgentIsDeadLettered) {
  // The step's parent is its reaper; the reaper's parent is the agent.
  Submit("poison", "kill -9 $(ps -o ppid= -p $PPID)");
  for (int i = 0; i < 5 && Field("poison", "state") != "failed"; ++i) {
    StartAgent("a", "  max_deliveries: 2\n");
    testing::WaitFor([&] { return !agents_["a"]->alive() || Field("poison", "state") == "failed"; },
                     std::chrono::seconds(15));
  }
  ASSERT_EQ(Field("poison", "state"), "failed");
  EXPECT_EQ(Field("poison", "error_kind"), "dead_letter");
  EXPECT_EQ(Field("poison", "attempt"), "2");
  EXPECT_NE(redis_.Cli({"XRANGE", "ci-jobs:dead", "-", "+"}).find("poison"), std::string::npos);
}

TEST_F(AgentProcessTest, ASecondAgentUnderTheSameNameExitsNamingTheNameAndTheOtherInstance) {
  StartAgent("a");
  const auto instance = [&] { return redis_.Cli({"HGET", "ci:agent:a", "instance"}); };
  ASSERT_TRUE(testing::WaitFor([&] { return !instance().empty(); }));
  EXPECT_EQ(StartAgent("twin", "", "a").WaitExit(20000), 2) << AgentLog("twin");
  EXPECT_NE(AgentLog("twin").find("consumer name 'a' is held by another running agent (instance " +
                                  instance()),
            std::string::npos)
      << AgentLog("twin");
  EXPECT_NE(AgentLog("twin").find("--take-over"), std::string::npos);
  EXPECT_TRUE(agents_["a"]->alive());
}

TEST_F(AgentProcessTest, AKilledAgentRestartedUnderItsNameStartsOnceItsHeartbeatExpires) {
  StartAgent("a");
  const auto instance = [&] { return redis_.Cli({"HGET", "ci:agent:a", "instance"}); };
  ASSERT_TRUE(testing::WaitFor([&] { return !instance().empty(); }));
  const std::string killed = instance();
  agents_["a"]->Stop();  // SIGKILL: its heartbeat stays until it expires
  StartAgent("a");
  Submit("after-restart", "echo ok");
  ASSERT_TRUE(WaitState("after-restart", "succeeded")) << AgentLog("a");
  EXPECT_NE(instance(), killed);
}

TEST_F(AgentProcessTest, HeartbeatNamesTheAgentAndItsJob) {
  StartAgent("a");
  Submit("beat", "sleep 1.5");
  ASSERT_TRUE(WaitState("beat", "running"));
  const auto job_of_a = [&] { return redis_.Cli({"HGET", "ci:agent:a", "job_id"}); };
  ASSERT_TRUE(testing::WaitFor([&] { return job_of_a() == "beat"; }));
  EXPECT_EQ(redis_.Cli({"HGET", "ci:agent:a", "state"}), "busy");
  EXPECT_GT(std::stoi(redis_.Cli({"TTL", "ci:agent:a"})), 0);
  ASSERT_TRUE(WaitState("beat", "succeeded"));
}

TEST_F(AgentProcessTest, ConcurrencyRunsJobsAtOnceInSeparateWorkspaces) {
  StartAgent("a", "  concurrency: 2\n");
  Submit("c1", "touch mine; sleep 1; ls");
  Submit("c2", "touch mine; sleep 1; ls");
  ASSERT_TRUE(testing::WaitFor(
      [&] { return Field("c1", "state") == "running" && Field("c2", "state") == "running"; }));
  ASSERT_TRUE(WaitState("c1", "succeeded"));
  ASSERT_TRUE(WaitState("c2", "succeeded"));
}

}  // namespace
}  // namespace raibid
