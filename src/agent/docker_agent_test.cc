// End to end with the docker executor: jobs from a real Redis, sources from a real git
// repository, every job in its own container on a real Podman service. After each test no
// container is left.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "process/run_command.h"
#include "support/agent_harness.h"
#include "support/git_repo.h"
#include "support/podman_service.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using testing::AgentHarness;
using testing::PodmanService;

constexpr const char* kImage = "localhost/raibid-bb:agent";

class DockerAgentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { podman_ = testing::SharedPodman(kImage); }
  DockerAgentTest() : repo_(repos_.path() / "acme" / "app.git") {
    repo_.Commit({{"README", "one\n"}, {"Cargo.lock", "lock v1\n"}});
  }
  void SetUp() override {
    if (!podman_) GTEST_SKIP() << "podman, runc or busybox-static is not installed";
  }
  void TearDown() override {
    if (harness_) {
      EXPECT_TRUE(testing::WaitFor([&] { return harness_->PendingCount() == 0; }));
      harness_.reset();
    }
    if (podman_) {
      EXPECT_EQ(podman_->ContainerCount(), 0) << "a job's container was left behind";
    }
  }
  AgentHarness& Start(InputLimits limits = {}) {
    harness_ = std::make_unique<AgentHarness>(
        testing::HarnessOptions{.git_base_url = "file://" + repos_.path().string(),
                                .docker = DockerSettings{},
                                .docker_host = podman_->host(),
                                .default_image = kImage,
                                .limits = limits});
    return *harness_;
  }
  static std::string Job(const std::string& id, const std::string& pipeline,
                         const std::string& extra = "") {
    return R"({"job_id": ")" + id + R"(", "repository": "acme/app", "branch": "main", )" + extra +
           R"("pipeline": )" + pipeline + "}";
  }

  static PodmanService* podman_;
  testing::TempDir repos_{"raibid-repos"};
  testing::GitRepo repo_;
  std::unique_ptr<AgentHarness> harness_;
};
PodmanService* DockerAgentTest::podman_ = nullptr;

TEST_F(DockerAgentTest, AJobRunsInItsContainerWithTheContractEnvironment) {
  auto& h = Start();
  h.Enqueue(Job(
      "d1",
      R"({"steps": [{"name": "look", "command": "cat /etc/from-image README; echo $CI $RAIBID_JOB_ID $RAIBID_WORKSPACE; pwd"}]})"));
  ASSERT_EQ(h.WaitFinal("d1"), "succeeded") << h.Field("d1", "error") << h.Log("d1");
  const std::string log = h.Log("d1");
  EXPECT_NE(log.find("image\none\ntrue d1 /workspace\n/workspace\n"), std::string::npos) << log;
  EXPECT_NE(log.find("from " + std::string(kImage)), std::string::npos) << log;
  EXPECT_NE(log.find(" removed in "), std::string::npos) << log;
}

// What a job used on the docker executor: its container's CPU and memory, its files' peak; and
// past its disk budget on the bind-mounted workspace, the job fails as disk.
TEST_F(DockerAgentTest, WhatAJobUsedIsRecordedAndItsDiskBudgetHolds) {
  InputLimits limits;
  limits.workspace_bytes = 5 << 20;
  auto& h = Start(limits);
  h.Enqueue(
      Job("used", R"({"steps": [{"name": "w", "command": "head -c 3000000 /dev/zero > f"}]})"));
  h.Enqueue(Job("over", R"({"steps": [{"name": "fill", "command": "for i in $(seq 50); do )"
                        R"(head -c 1048576 /dev/zero > f$i; sleep 0.1; done"}]})"));
  ASSERT_EQ(h.WaitFinal("used"), "succeeded") << h.Field("used", "error") << h.Log("used");
  EXPECT_GE(std::stod(h.Field("used", "cpu_seconds")), 0.0);
  EXPECT_GT(std::stoull(h.Field("used", "peak_memory_bytes")), 0u);
  EXPECT_GE(std::stoull(h.Field("used", "peak_disk_bytes")), 3000000u);
  ASSERT_EQ(h.WaitFinal("over"), "failed") << h.Log("over");
  EXPECT_EQ(h.Field("over", "error_kind"), "disk");
  EXPECT_NE(h.Field("over", "error").find("agent.limits.workspace_bytes (5 MiB)"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(h.root() / "work" / "over"));
}

// A step in its container sees nothing of the agent: not the agent's environment (a Redis
// password there), not its files (a secret file beside it), not its process (/proc of the agent).
TEST_F(DockerAgentTest, AStepSeesNoneOfTheAgentsEnvironmentFilesOrProcess) {
  setenv("REDIS_PASSWORD", "redis-secret-in-agent-env", 1);
  testing::TempDir secrets{"raibid-secrets"};
  const std::string secret_file = (secrets.path() / "redis-password").string();
  testing::WriteFile(secret_file, "redis-secret-in-agent-file\n");
  auto& h = Start();
  h.Enqueue(Job("snoop", R"({"steps": [{"name": "snoop", "command": "env; tr '\\0' '\\n' )"
                         R"(< /proc/1/environ; ! cat )" +
                             secret_file + "; ! cat /proc/" + std::to_string(getpid()) +
                             R"(/environ; echo snooped"}]})"));
  const std::string state = h.WaitFinal("snoop");
  unsetenv("REDIS_PASSWORD");
  ASSERT_EQ(state, "succeeded") << h.Field("snoop", "error") << h.Log("snoop");
  const std::string log = h.Log("snoop");
  EXPECT_NE(log.find("RAIBID_JOB_ID=snoop"), std::string::npos) << log;
  EXPECT_NE(log.find(secret_file + "': No such file or directory"), std::string::npos) << log;
  EXPECT_NE(log.find("/environ': No such file or directory"), std::string::npos) << log;
  EXPECT_NE(log.find("snooped"), std::string::npos) << log;
  for (const char* leak : {"REDIS_PASSWORD", "redis-secret-in-agent"}) {
    EXPECT_EQ(log.find(leak), std::string::npos) << leak << " in " << log;
  }
}

// The whole path: a pipeline's service started beside the job and reached by name, then a
// pipeline whose service never becomes ready failing as `service`, leaving no container.
TEST_F(DockerAgentTest, AServiceIsReachedByNameAndOneNeverReadyFailsTheJobAsService) {
  auto& h = Start();
  const std::string service =
      R"({"name": "web", "image": ")" + std::string(kImage) +
      R"(", "command": ["/bin/sh", "-c", "exec httpd -f -p 8080 -h /etc"], "ready": {"port": )";
  h.Enqueue(Job("svc", R"({"services": [)" + service + R"(8080}}], "steps": [
    {"name": "get", "command": "wget -qO- http://web:8080/from-image"}]})"));
  ASSERT_EQ(h.WaitFinal("svc"), "succeeded") << h.Field("svc", "error") << h.Log("svc");
  EXPECT_NE(h.Log("svc").find("image\n"), std::string::npos) << h.Log("svc");
  h.Enqueue(Job("never", R"({"services": [)" + service +
                             R"(9999, "timeout_seconds": 2}}], "steps": [
    {"name": "get", "command": "true"}]})"));
  ASSERT_EQ(h.WaitFinal("never"), "failed") << h.Log("never");
  EXPECT_EQ(h.Field("never", "error_kind"), "service");
  EXPECT_NE(h.Field("never", "error").find("web"), std::string::npos) << h.Field("never", "error");
  EXPECT_TRUE(testing::WaitFor([&] { return podman_->ContainerCount() == 0; }));
}

TEST_F(DockerAgentTest, CacheDirectoriesAreWhereThePipelineExpectsThem) {
  auto& h = Start();
  const std::string pipeline =
      R"({"cache": {"paths": ["target/", "~/.deps/"]}, "steps": [{"name": "build", "command": )"
      R"("if [ -f target/built ]; then echo warm; cat ~/.deps/x 2>/dev/null || cat $RAIBID_CACHE_HOME/.deps/x; else echo cold; mkdir -p target $RAIBID_CACHE_HOME/.deps; echo artefact > target/built; echo dep > $RAIBID_CACHE_HOME/.deps/x; fi"}]})";
  h.Enqueue(Job("c1", pipeline));
  ASSERT_EQ(h.WaitFinal("c1"), "succeeded") << h.Log("c1");
  EXPECT_NE(h.Log("c1").find("cold\n"), std::string::npos);
  h.Enqueue(Job("c2", pipeline));
  ASSERT_EQ(h.WaitFinal("c2"), "succeeded") << h.Log("c2");
  EXPECT_NE(h.Log("c2").find("warm\ndep\n"), std::string::npos) << h.Log("c2");
}

TEST_F(DockerAgentTest, ATimedOutJobLeavesNoContainer) {
  auto& h = Start();
  h.Enqueue(Job("t1", R"({"steps": [{"name": "hang", "command": "sleep 60"}]})",
                R"("timeout_minutes": 0.03, )"));
  ASSERT_EQ(h.WaitFinal("t1", std::chrono::seconds(30)), "timed_out") << h.Log("t1");
  EXPECT_EQ(h.Field("t1", "error_kind"), "timeout");
}

TEST_F(DockerAgentTest, ACancelledJobLeavesNoContainer) {
  auto& h = Start();
  ASSERT_TRUE(testing::WaitFor([&] { return h.agent().listening_for_cancels(); }));
  h.Enqueue(Job("k1", R"({"steps": [{"name": "hang", "command": "echo up; sleep 60"}]})"));
  ASSERT_TRUE(testing::WaitFor([&] { return h.Log("k1").find("up\n") != std::string::npos; },
                               std::chrono::seconds(30)));
  h.redis().Cli({"HSET", "ci:job:k1", "cancel_requested", "1"});
  h.redis().Cli({"PUBLISH", "ci:cancel", "k1"});
  ASSERT_EQ(h.WaitFinal("k1", std::chrono::seconds(15)), "cancelled") << h.Log("k1");
}

TEST_F(DockerAgentTest, RefusedAndBrokenJobsFailClearlyAndTheNextJobRuns) {
  auto& h = Start();
  h.Enqueue(Job("net", R"({"network": "bridge", "steps": [{"name": "s", "command": "true"}]})"));
  h.Enqueue(Job(
      "noimg",
      R"({"image": "localhost/raibid-missing:1", "steps": [{"name": "s", "command": "true"}]})"));
  h.Enqueue(Job(
      "oom",
      R"J({"resources": {"memory": "32Mi"}, "steps": [{"name": "hog", "command": "x=$(head -c 200000000 /dev/urandom | od -x)"}]})J"));
  h.Enqueue(Job("fine", R"({"steps": [{"name": "s", "command": "echo still-working"}]})"));
  ASSERT_EQ(h.WaitFinal("net"), "failed");
  EXPECT_EQ(h.Field("net", "error_kind"), "invalid_pipeline");
  EXPECT_NE(h.Field("net", "error").find("allow_network"), std::string::npos);
  ASSERT_EQ(h.WaitFinal("noimg"), "failed");
  EXPECT_EQ(h.Field("noimg", "error_kind"), "infrastructure");
  EXPECT_NE(h.Field("noimg", "error").find("localhost/raibid-missing:1"), std::string::npos)
      << h.Field("noimg", "error");
  ASSERT_EQ(h.WaitFinal("oom"), "failed");
  EXPECT_EQ(h.Field("oom", "exit_code"), "137");
  EXPECT_NE(h.Field("oom", "error").find("out of memory (the job's memory limit is 32 MiB)"),
            std::string::npos)
      << h.Field("oom", "error");
  ASSERT_EQ(h.WaitFinal("fine"), "succeeded");
  EXPECT_NE(h.Log("fine").find("still-working"), std::string::npos);
}

TEST(DockerAgentDown, AnEngineThatIsDownHandsTheJobBackAfterRetriesAndTakesNoMore) {
  testing::TempDir repos("raibid-repos");
  testing::GitRepo repo(repos.path() / "acme" / "app.git");
  repo.Commit({{"README", "one\n"}});
  AgentHarness h({.git_base_url = "file://" + repos.path().string(),
                  .docker = DockerSettings{},
                  .docker_host = "unix:///nonexistent/raibid-engine.sock",
                  .default_image = kImage});
  h.Enqueue(
      R"({"job_id": "down", "repository": "acme/app", "branch": "main", "pipeline": {"steps": [{"name": "s", "command": "true"}]}})");
  ASSERT_TRUE(testing::WaitFor([&] { return h.agent().LocalFault().has_value(); },
                               std::chrono::seconds(60)));
  EXPECT_FALSE(h.agent().Ready());
  // Not failed: another agent, with an engine, may run it.
  EXPECT_EQ(h.Field("down", "state"), "queued");
  EXPECT_EQ(h.Field("down", "error_kind"), "");
  EXPECT_NE(h.Field("down", "handbacks").find("unix:///nonexistent/raibid-engine.sock"),
            std::string::npos)
      << h.Field("down", "handbacks");
  EXPECT_NE(h.Log("down").find("retrying in"), std::string::npos) << h.Log("down");
  EXPECT_EQ(h.PendingCount(), 1);
}

// A real agent process killed mid-job leaves its container; started again under the same name,
// it removes it before taking the job over.
TEST_F(DockerAgentTest, AnAgentKilledMidJobLeavesNoContainerOnceRestarted) {
  testing::RedisServer redis;
  testing::TempDir dir;
  auto start = [&] {
    const auto config = dir.path() / "agent.yaml";
    testing::WriteFile(config, "agent:\n  executor: docker\n  docker:\n    host: \"" +
                                   podman_->host() +
                                   "\"\n"
                                   "  image: " +
                                   kImage + "\n  redis:\n    url: \"" + redis.url() +
                                   "\"\n"
                                   "    consumer_name: phoenix\n  work_dir: \"" +
                                   (dir.path() / "work").string() +
                                   "\"\n"
                                   "  cache:\n    path: \"" +
                                   (dir.path() / "cache").string() +
                                   "\"\n"
                                   "  lease_seconds: 2\n  http:\n    listen: \"127.0.0.1:0\"\n");
    return std::make_unique<testing::ServerProcess>(
        std::vector<std::string>{RAIBID_AGENT_BINARY, "run", "--config", config.string()},
        (dir.path() / "agent.log").string());
  };
  auto agent = start();
  redis.Cli(
      {"XADD", "ci-jobs", "*", "job",
       R"({"job_id": "phx", "repository": "file://)" + repo_.path().string() +
           R"(", "branch": "main", "pipeline": {"steps": [{"name": "s", "command": "echo up; sleep 3; echo done"}]}})"});
  ASSERT_TRUE(
      testing::WaitFor([&] { return podman_->ContainerCount() == 1; }, std::chrono::seconds(30)))
      << testing::ReadFile(dir.path() / "agent.log");
  const auto state = [&] { return redis.Cli({"HGET", "ci:job:phx", "state"}); };
  ASSERT_TRUE(testing::WaitFor([&] { return state() == "running"; }));
  agent->Stop();  // SIGKILL: the container stays
  EXPECT_EQ(podman_->ContainerCount(), 1);
  agent = start();
  ASSERT_TRUE(testing::WaitFor([&] { return state() == "succeeded"; }, std::chrono::seconds(60)))
      << testing::ReadFile(dir.path() / "agent.log");
  EXPECT_EQ(redis.Cli({"HGET", "ci:job:phx", "attempt"}), "2");
  EXPECT_NE(testing::ReadFile(dir.path() / "agent.log").find("removed 1 container(s)"),
            std::string::npos)
      << testing::ReadFile(dir.path() / "agent.log");
  agent->Terminate();
}

// The real binary's probes with the docker executor: /startupz once the configured image is
// there, /readyz following the engine.
TEST_F(DockerAgentTest, ProbesFollowThePreloadAndTheEngine) {
  auto engine = std::make_unique<PodmanService>();
  engine->MakeBusyboxImage("localhost/raibid-bb:preload");
  testing::RedisServer redis;
  testing::TempDir dir;
  const int port = testing::FreePort();
  testing::WriteFile(dir.path() / "agent.yaml",
                     "agent:\n  executor: docker\n  docker:\n    host: \"" + engine->host() +
                         "\"\n"
                         "  image: localhost/raibid-bb:preload\n  redis:\n    url: \"" +
                         redis.url() +
                         "\"\n"
                         "  work_dir: \"" +
                         (dir.path() / "work").string() +
                         "\"\n"
                         "  cache:\n    path: \"" +
                         (dir.path() / "cache").string() +
                         "\"\n"
                         "  http:\n    listen: \"127.0.0.1:" +
                         std::to_string(port) + "\"\n");
  testing::ServerProcess agent(
      {RAIBID_AGENT_BINARY, "run", "--config", (dir.path() / "agent.yaml").string()},
      (dir.path() / "agent.log").string());
  auto status = [&](const std::string& path) {
    auto r =
        RunCommand({.argv = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time",
                             "5", "http://127.0.0.1:" + std::to_string(port) + path}});
    return r ? r->out : "";
  };
  ASSERT_TRUE(
      testing::WaitFor([&] { return status("/startupz") == "200"; }, std::chrono::seconds(30)))
      << testing::ReadFile(dir.path() / "agent.log");
  EXPECT_NE(
      testing::ReadFile(dir.path() / "agent.log").find("image localhost/raibid-bb:preload ready"),
      std::string::npos);
  ASSERT_TRUE(
      testing::WaitFor([&] { return status("/readyz") == "200"; }, std::chrono::seconds(30)));
  engine.reset();  // the engine goes away
  EXPECT_TRUE(
      testing::WaitFor([&] { return status("/readyz") == "503"; }, std::chrono::seconds(30)));
  EXPECT_EQ(status("/healthz"), "200") << "the agent itself is alive";
  EXPECT_EQ(agent.Terminate(), 0);
}

}  // namespace
}  // namespace raibid
