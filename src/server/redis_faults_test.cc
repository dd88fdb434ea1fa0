// The real binary against Redis faults an operator meets: a key of the wrong type, Redis at
// maxmemory, an eviction policy that may drop jobs. None may spin (log lines and CPU time are
// counted over a window, with generous bounds), /readyz names the fault while it lasts, and no
// log output is lost without a word.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>

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
                       "agent:\n  http:\n    listen: \"127.0.0.1:" + std::to_string(port_) +
                           "\"\n  redis:\n    url: \"" + redis_.url() + "\"\n  work_dir: \"" +
                           (dir_.path() / "work").string() + "\"\n  cache:\n    path: \"" +
                           (dir_.path() / "cache").string() + "\"\n");
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
    redis_.Cli({"XADD", "ci-jobs", "*", "job",
                R"({"job_id": ")" + id + R"(", "repository": ")" + repo_.file_url() +
                    R"(", "branch": "main", "pipeline": {"steps": [{"name": "s", "command": ")" +
                    command + R"("}]}})"});
  }
  std::string Field(const std::string& id, const std::string& f) {
    return redis_.Cli({"HGET", "ci:job:" + id, f});
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

}  // namespace
}  // namespace raibid
