// The real binary's endpoints: readiness through a Redis outage and a drain, metrics that
// promtool accepts and a real Prometheus scrapes.
#include <gtest/gtest.h>
#include <httplib.h>

#include "process/run_command.h"
#include "support/agent_process_config.h"
#include "support/git_repo.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using testing::WaitFor;

class AgentEndpointsTest : public ::testing::Test {
 protected:
  AgentEndpointsTest()
      : redis_(/*persistent=*/true), repo_(dir_.path() / "repo"), port_(testing::FreePort()) {
    repo_.Commit({{"README", "x\n"}});
    testing::WriteFile(dir_.path() / "agent.yaml",
                       testing::MinimalAgentYaml(redis_.url(), port_, dir_.path()));
    agent_ = std::make_unique<testing::ServerProcess>(
        std::vector<std::string>{RAIBID_AGENT_BINARY, "run", "--config",
                                 (dir_.path() / "agent.yaml").string()},
        (dir_.path() / "agent.log").string());
  }
  int Status(const char* path) {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(1);
    auto r = client.Get(path);
    return r ? r->status : -1;
  }
  std::string Metrics() {
    httplib::Client client("127.0.0.1", port_);
    auto r = client.Get("/metrics");
    return r ? r->body : "";
  }
  void Submit(const std::string& id, const std::string& command) {
    redis_.Cli({"XADD", "ci-jobs", "*", "job",
                R"({"job_id": ")" + id + R"(", "repository": ")" + repo_.file_url() +
                    R"(", "branch": "main", "pipeline": {"steps": [{"name": "s", "command": ")" +
                    command + R"("}]}})"});
  }

  testing::RedisServer redis_;
  testing::TempDir dir_;
  testing::GitRepo repo_;
  int port_;
  std::unique_ptr<testing::ServerProcess> agent_;
};

TEST_F(AgentEndpointsTest, ReadinessFollowsRedisAndTheDrain) {
  ASSERT_TRUE(WaitFor([&] { return Status("/readyz") == 200; }))
      << testing::ReadFile(dir_.path() / "agent.log");
  EXPECT_EQ(Status("/healthz"), 200);
  EXPECT_EQ(Status("/startupz"), 200);
  redis_.Stop();
  EXPECT_TRUE(WaitFor([&] { return Status("/readyz") == 503; }));
  EXPECT_EQ(Status("/healthz"), 200);  // alive: it is waiting for Redis, not stuck
  redis_.Restart();
  EXPECT_TRUE(WaitFor([&] { return Status("/readyz") == 200; }, std::chrono::seconds(20)));
  Submit("draining", "sleep 1.5");
  const auto state = [&] { return redis_.Cli({"HGET", "ci:job:draining", "state"}); };
  ASSERT_TRUE(WaitFor([&] { return state() == "running"; }));
  kill(agent_->pid(), SIGTERM);
  EXPECT_TRUE(WaitFor([&] { return Status("/readyz") == 503; }));
  EXPECT_EQ(agent_->WaitExit(), 0);
  EXPECT_EQ(redis_.Cli({"HGET", "ci:job:draining", "state"}), "succeeded")
      << testing::ReadFile(dir_.path() / "agent.log");
}

TEST_F(AgentEndpointsTest, MetricsPassPromtoolAndCountJobs) {
  ASSERT_TRUE(WaitFor([&] { return Status("/readyz") == 200; }));
  Submit("m1", "echo hi");
  ASSERT_TRUE(WaitFor([&] { return redis_.Cli({"HGET", "ci:job:m1", "state"}) == "succeeded"; }));
  ASSERT_TRUE(WaitFor([&] {
    return Metrics().find("raibid_jobs_total{result=\"succeeded\"} 1") != std::string::npos;
  })) << Metrics();
  testing::WriteFile(dir_.path() / "metrics.txt", Metrics());
  auto check = RunCommand(
      {.argv = {"sh", "-c", "promtool check metrics < " + (dir_.path() / "metrics.txt").string()}});
  ASSERT_TRUE(check);
  EXPECT_EQ(check->exit_code, 0) << check->out << check->err;
}

TEST_F(AgentEndpointsTest, ARealPrometheusScrapesTheSeries) {
  ASSERT_TRUE(WaitFor([&] { return Status("/readyz") == 200; }));
  const int prom_port = testing::FreePort();
  testing::WriteFile(dir_.path() / "prometheus.yml",
                     "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: raibid\n"
                     "    static_configs:\n      - targets: ['127.0.0.1:" +
                         std::to_string(port_) + "']\n");
  testing::ServerProcess prometheus(
      {"prometheus", "--config.file=" + (dir_.path() / "prometheus.yml").string(),
       "--storage.tsdb.path=" + (dir_.path() / "tsdb").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
      (dir_.path() / "prometheus.log").string());
  ASSERT_TRUE(prometheus.WaitForPort(prom_port, 20000))
      << testing::ReadFile(dir_.path() / "prometheus.log");
  httplib::Client client("127.0.0.1", prom_port);
  std::string body;
  EXPECT_TRUE(WaitFor(
      [&] {
        auto r = client.Get("/api/v1/query?query=raibid_slots");
        body = r ? r->body : "";
        return body.find("\"raibid_slots\"") != std::string::npos;
      },
      std::chrono::seconds(30)))
      << body;
}

}  // namespace
}  // namespace raibid
