// The agent on a Redis that serves TLS only: jobs, logs and cancels go over rediss://, and a
// certificate the agent refuses keeps it unready with the reason in its log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "process/run_command.h"
#include "support/agent_harness.h"
#include "support/git_repo.h"
#include "support/server_process.h"
#include "support/test_pki.h"

namespace raibid {
namespace {

using ::testing::HasSubstr;

class AgentTlsTest : public ::testing::Test {
 protected:
  AgentTlsTest() : repo_(repos_.path() / "acme" / "app.git") {
    repo_.Commit({{"README", "over tls\n"}});
  }
  std::string Job(const std::string& id, const std::string& command) {
    return R"({"job_id": ")" + id + R"(", "repository": "acme/app", "branch": "main",
      "pipeline": {"steps": [{"name": "s", "command": ")" +
           command + R"("}]}})";
  }

  testing::TempDir repos_{"raibid-repos"};
  testing::GitRepo repo_;
};

TEST_F(AgentTlsTest, JobsRunAndAreCancelledOverTls) {
  testing::AgentHarness h({.git_base_url = "file://" + repos_.path().string(), .redis_tls = true});
  ASSERT_TRUE(h.redis().url().starts_with("rediss://"));
  h.Enqueue(Job("t1", "cat README"));
  ASSERT_EQ(h.WaitFinal("t1"), "succeeded") << h.Field("t1", "error");
  EXPECT_THAT(h.Log("t1"), HasSubstr("over tls\n"));

  // The cancel listener's blocking read, over TLS.
  ASSERT_TRUE(testing::WaitFor([&] { return h.agent().listening_for_cancels(); }));
  h.Enqueue(Job("t2", "echo $((6*7))-ticks; sleep 300"));
  ASSERT_TRUE(testing::WaitFor([&] { return h.Log("t2").find("42-ticks") != std::string::npos; }));
  h.redis().Cli({"HSET", "ci:job:t2", "cancel_requested", "1"});
  h.redis().Cli({"PUBLISH", "ci:cancel", "t2"});
  EXPECT_EQ(h.WaitFinal("t2", std::chrono::seconds(10)), "cancelled");
  EXPECT_TRUE(testing::WaitFor([&] { return h.PendingCount() == 0; }));
}

// A real `raibid-agent run` against a TLS Redis with `tls` as its agent.redis.tls section.
class AgentTlsProcessTest : public ::testing::Test {
 protected:
  void StartAgent(const std::string& tls) {
    const auto config = dir_.path() / "agent.yaml";
    testing::WriteFile(config, "agent:\n  redis:\n    url: \"" + redis_.url() +
                                   "\"\n    consumer_name: tls-agent\n    tls:\n" + tls +
                                   "  work_dir: \"" + (dir_.path() / "work").string() +
                                   "\"\n  cache:\n    path: \"" + (dir_.path() / "cache").string() +
                                   "\"\n  http:\n    listen: \"127.0.0.1:0\"\n");
    agent_ = std::make_unique<testing::ServerProcess>(
        std::vector<std::string>{RAIBID_AGENT_BINARY, "run", "--config", config.string()},
        log_.string());
  }
  // Waits for `text` in the agent's log; the log, for a failing assertion's message.
  std::string WaitForLog(const std::string& text) {
    testing::WaitFor([&] { return testing::ReadFile(log_).find(text) != std::string::npos; });
    return testing::ReadFile(log_);
  }
  // GET /readyz on the port the agent logged: the status code, or "" before it listens.
  std::string Readyz() {
    std::smatch m;
    const std::string log = WaitForLog("health and metrics on http://");
    if (!std::regex_search(log, m, std::regex(R"(health and metrics on http://[^:]+:(\d+)/)")))
      return "";
    auto r = RunCommand({.argv = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                  "http://127.0.0.1:" + m[1].str() + "/readyz"}});
    return r ? r->out : "";
  }

  testing::TestPki pki_;
  testing::RedisServer redis_{
      false, testing::RedisTlsFiles{
                 .ca = pki_.ca(), .cert = pki_.server_cert(), .key = pki_.server_key()}};
  testing::TempDir dir_;
  std::filesystem::path log_ = dir_.path() / "agent.log";
  std::unique_ptr<testing::ServerProcess> agent_;
};

TEST_F(AgentTlsProcessTest, ACertificateFromAnotherCaKeepsTheAgentUnreadySayingWhy) {
  StartAgent("      ca_file: \"" + pki_.other_ca().string() + "\"\n");
  EXPECT_THAT(WaitForLog("unknown CA"), HasSubstr("certificate verify failed (unknown CA)"));
  EXPECT_EQ(Readyz(), "503");
}

TEST_F(AgentTlsProcessTest, ACertificateForAnotherNameKeepsTheAgentUnreadySayingWhy) {
  StartAgent("      ca_file: \"" + pki_.ca().string() +
             "\"\n      server_name: redis.example.com\n");
  EXPECT_THAT(WaitForLog("name mismatch"), HasSubstr("certificate verify failed (name mismatch)"));
  EXPECT_EQ(Readyz(), "503");
}

TEST_F(AgentTlsProcessTest, TheRightCaMakesTheAgentReady) {
  StartAgent("      ca_file: \"" + pki_.ca().string() + "\"\n");
  EXPECT_TRUE(testing::WaitFor([&] { return Readyz() == "200"; })) << WaitForLog("ready");
}

}  // namespace
}  // namespace raibid
