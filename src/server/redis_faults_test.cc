// The real binary against Redis faults an operator meets: a key of the wrong type, Redis at
// maxmemory, an eviction policy that may drop jobs. None may spin (log lines and CPU time are
// counted over a window, with generous bounds), /readyz names the fault while it lasts, and no
// log output is lost without a word.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/agent_process_config.h"
#include "support/git_repo.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using testing::WaitFor;

class RedisFaultsTest : public ::testing::Test {
 protected:
  RedisFaultsTest() : repo_(dir_.path() / "repo"), port_(testing::FreePort()) {
    repo_.Commit({{"README", "x\n"}});
  }
  void StartAgent() {
    testing::WriteFile(dir_.path() / "agent.yaml",
                       testing::MinimalAgentYaml(redis_.url(), port_, dir_.path()));
    agent_ = std::make_unique<testing::ServerProcess>(
        std::vector<std::string>{RAIBID_AGENT_BINARY, "run", "--config",
                                 (dir_.path() / "agent.yaml").string()},
        (dir_.path() / "agent.log").string());
  }
  std::pair<int, std::string> Get(const char* path) {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(1);
    auto r = client.Get(path);
    return r ? std::pair{r->status, r->body} : std::pair{-1, std::string()};
  }
  std::string Log() { return testing::ReadFile(dir_.path() / "agent.log"); }
  size_t LogLines() {
    const std::string log = Log();
    return static_cast<size_t>(std::count(log.begin(), log.end(), '\n'));
  }
  // The agent's user + system CPU time (/proc/<pid>/stat fields 14 and 15).
  double CpuSeconds() {
    std::ifstream stat("/proc/" + std::to_string(agent_->pid()) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string field;
    for (int i = 3; i < 14; ++i) rest >> field;
    long utime = 0, stime = 0;
    rest >> utime >> stime;
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  void Submit(const std::string& id, const std::string& command) {
    redis_.Cli({"XADD", "ci-jobs", "*", "job", testing::OneStepJob(id, repo_.file_url(), command)});
  }
  std::string Field(const std::string& id, const std::string& f) {
    return redis_.Cli({"HGET", "ci:job:" + id, f});
  }
  // Commands Redis refused with `code` so far (INFO errorstats).
  int Refusals(const std::string& code) {
    const std::string info = redis_.Cli({"INFO", "errorstats"});
    const auto at = info.find("errorstat_" + code + ":count=");
    return at == std::string::npos ? 0 : std::stoi(info.substr(at + 17 + code.size()));
  }
  // A step that waits for the file `name` in the test's directory.
  std::string WaitForFile(const std::string& name) {
    return "until [ -e " + (dir_.path() / name).string() + " ]; do sleep 0.1; done";
  }

  testing::RedisServer redis_;
  testing::TempDir dir_;
  testing::GitRepo repo_;
  int port_;
  std::unique_ptr<testing::ServerProcess> agent_;
};

TEST_F(RedisFaultsTest, AJobStreamOfTheWrongTypeIsRetriedSlowlyAndNamedOnReadyz) {
  redis_.Cli({"SET", "ci-jobs", "x"});
  StartAgent();
  ASSERT_TRUE(WaitFor([&] { return Log().find("WRONGTYPE") != std::string::npos; })) << Log();
  const size_t lines = LogLines();
  const double cpu = CpuSeconds();
  // A spinning agent writes thousands of lines in this window; backoff allows a handful.
  EXPECT_FALSE(WaitFor([&] { return LogLines() > lines + 5; }, std::chrono::seconds(6)))
      << LogLines() - lines << " lines in 6 s";
  EXPECT_LT(CpuSeconds() - cpu, 1.0);
  const auto [status, body] = Get("/readyz");
  EXPECT_EQ(status, 503);
  EXPECT_NE(body.find("redis: WRONGTYPE on ci-jobs: the key is a string"), std::string::npos)
      << body;
  redis_.Cli({"DEL", "ci-jobs"});  // the operator's fix
  EXPECT_TRUE(WaitFor([&] { return Get("/readyz").first == 200; }, std::chrono::seconds(40)));
}

TEST_F(RedisFaultsTest, OutputRedisRefusesIsToldInTheLogTheStatusAndTheMetrics) {
  StartAgent();
  ASSERT_TRUE(WaitFor([&] { return Get("/readyz").first == 200; })) << Log();
  Submit("big", WaitForFile("go") + "; yes " + std::string(70, 'x') +
                    " | head -c 4000000 || true; echo; " + WaitForFile("go2"));
  ASSERT_TRUE(WaitFor([&] { return Field("big", "current_step") == "s"; })) << Log();
  redis_.Cli({"CONFIG", "SET", "maxmemory", "1"});  // noeviction: every write refused
  testing::WriteFile(dir_.path() / "go", "");
  ASSERT_TRUE(WaitFor([&] { return Refusals("OOM") >= 10; })) << Log();
  redis_.Cli({"CONFIG", "SET", "maxmemory", "0"});
  testing::WriteFile(dir_.path() / "go2", "");
  ASSERT_TRUE(
      WaitFor([&] { return Field("big", "state") == "succeeded"; }, std::chrono::seconds(60)))
      << Log();
  const std::string lost = Field("big", "log_lost_bytes");
  ASSERT_FALSE(lost.empty());
  EXPECT_GT(std::stoll(lost), 0);
  const std::string told = "redis refused ";
  EXPECT_NE(redis_.Cli({"XRANGE", "ci:logs:big", "-", "+"}).find(told), std::string::npos);
  EXPECT_NE(Log().find(told), std::string::npos);  // the agent's warning
  EXPECT_NE(Get("/metrics").second.find("raibid_log_dropped_bytes_total{reason=\"redis\"} " + lost),
            std::string::npos)
      << Get("/metrics").second;
}

TEST_F(RedisFaultsTest, ARedisThatCannotPersistIsNamedOnReadyzUntilItCanAgain) {
  StartAgent();
  ASSERT_TRUE(WaitFor([&] { return Get("/readyz").first == 200; })) << Log();
  // A snapshot that fails (a directory stands where it is renamed to) makes Redis refuse writes
  // with MISCONF. (`dir` itself is a protected setting.)
  std::string dir = redis_.Cli({"CONFIG", "GET", "dir"});
  dir = dir.substr(dir.find('\n') + 1);
  std::filesystem::create_directories(std::filesystem::path(dir) / "dump.rdb" / "x");
  redis_.Cli({"CONFIG", "SET", "save", "3600 1"});
  redis_.Cli({"BGSAVE"});
  ASSERT_TRUE(WaitFor([&] { return Refusals("MISCONF") > 0; })) << Log();
  ASSERT_TRUE(WaitFor([&] { return Get("/readyz").second.find("MISCONF") != std::string::npos; }))
      << Get("/readyz").second;
  const size_t lines = LogLines();
  EXPECT_FALSE(WaitFor([&] { return LogLines() > lines + 5; }, std::chrono::seconds(6))) << Log();
  redis_.Cli({"CONFIG", "SET", "save", ""});  // persistence no longer required: writes again
  Submit("after", "echo hi");
  EXPECT_TRUE(
      WaitFor([&] { return Field("after", "state") == "succeeded"; }, std::chrono::seconds(40)))
      << Log();
}

TEST_F(RedisFaultsTest, AnEvictionPolicyThatMayDropJobsIsWarnedAndExposed) {
  redis_.Cli({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"});
  StartAgent();
  ASSERT_TRUE(WaitFor([&] {
    return Get("/metrics").second.find("raibid_redis_eviction_risk{policy=\"allkeys-lru\"} 1") !=
           std::string::npos;
  })) << Get("/metrics").second;
  EXPECT_NE(Log().find("maxmemory-policy is allkeys-lru"), std::string::npos) << Log();
}

}  // namespace
}  // namespace raibid
