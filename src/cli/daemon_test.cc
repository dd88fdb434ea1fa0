// `raibid-agent run` as a process: start-up errors end it at once with the reason, a stop signal
// ends it whatever it is doing, and /readyz names what keeps it from taking jobs.
#include "cli/daemon.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdio>

#include "process/run_command.h"
#include "support/read_only_dir.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"
#include "util/unique_fd.h"

namespace raibid {
namespace {

using testing::WaitFor;

// A unix socket at `path`, bound; with `listening`, connections are queued but never answered.
UniqueFd EngineSocket(const std::string& path, bool listening) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{.sun_family = AF_UNIX};
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  if (listening) {
    EXPECT_EQ(listen(fd.get(), 16), 0);
  }
  return fd;
}

class DaemonTest : public ::testing::Test {
 protected:
  // The configuration file: work and cache directories in the test's own, plus `extra`.
  std::string Config(const std::string& extra, int port = 0) {
    const auto file = dir_.path() / "agent.yaml";
    testing::WriteFile(file, "agent:\n  redis:\n    url: \"" + redis_url_ + "\"\n  work_dir: \"" +
                                 (dir_.path() / "work").string() + "\"\n  cache:\n    path: \"" +
                                 (dir_.path() / "cache").string() +
                                 "\"\n  http:\n    listen: \"127.0.0.1:" + std::to_string(port) +
                                 "\"\n" + extra);
    return file.string();
  }
  // Runs the agent to its end, at most 10 s.
  CommandResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {RAIBID_AGENT_BINARY, "run"});
    auto r = RunCommand({.argv = args, .timeout = std::chrono::seconds(10)});
    EXPECT_TRUE(r.has_value());
    return r.value_or(CommandResult{.exit_code = -1});
  }
  std::unique_ptr<testing::ServerProcess> Start(const std::string& config) {
    return std::make_unique<testing::ServerProcess>(
        std::vector<std::string>{RAIBID_AGENT_BINARY, "run", "--config", config}, Log());
  }
  std::string Log() const { return (dir_.path() / "agent.log").string(); }
  // The /readyz answer: "STATUS BODY".
  std::string Readyz(int port) { return Get(port, "/readyz"); }
  // The endpoints answer from the start, but a SIGTERM before the consumer loop runs ends the
  // start-up at once (exit 143). /healthz turns 200 once that loop has ticked: from then on a
  // SIGTERM drains and the agent exits 0.
  void WaitUntilRunning(int port) {
    EXPECT_TRUE(WaitFor([&] { return Get(port, "/healthz") == "200 ok\n"; }))
        << testing::ReadFile(Log());
  }
  std::string Get(int port, const std::string& path) {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(5);
    auto r = client.Get(path);
    return r ? std::to_string(r->status) + " " + r->body : "no answer";
  }

  testing::TempDir dir_;
  std::string redis_url_ = "redis://127.0.0.1:1";
};

TEST_F(DaemonTest, ACacheDirThatIsAFileStopsTheStartNamingIt) {
  testing::WriteFile(dir_.path() / "file", "");
  auto r = Run({"--config", Config(""), "--cache-dir", (dir_.path() / "file").string()});
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(
      r.err.find("cannot create " + (dir_.path() / "file" / "git").string() + ": Not a directory"),
      std::string::npos)
      << r.err;
}

TEST_F(DaemonTest, AnAddressInUseStopsTheStartNamingIt) {
  UniqueFd held(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{.sin_family = AF_INET};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(held.get(), reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(listen(held.get(), 1), 0);
  ASSERT_EQ(getsockname(held.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  auto r = Run({"--config", Config("", port)});
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << r.err;
}

TEST_F(DaemonTest, AnUnwritableWorkDirStopsTheStartWithTheErrno) {
  testing::ReadOnlyDir work(dir_.path() / "work");
  if (!work.ok()) GTEST_SKIP() << "chattr +i is not available here";
  auto r = Run({"--config", Config("")});
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(
      r.err.find("work dir " + work.path().string() + " not writable: Operation not permitted"),
      std::string::npos)
      << r.err;
}

TEST_F(DaemonTest, SigtermEndsAStartThatDoesNotEnd) {
  // An engine that takes connections and never answers holds the start-up in PrepareEngine.
  const std::string sock = (dir_.path() / "engine.sock").string();
  UniqueFd engine = EngineSocket(sock, /*listening=*/true);
  const int port = testing::FreePort();
  auto agent =
      Start(Config("  executor: docker\n  docker:\n    host: \"unix://" + sock + "\"\n", port));
  ASSERT_TRUE(agent->WaitForPort(port)) << testing::ReadFile(Log());
  kill(agent->pid(), SIGTERM);
  EXPECT_EQ(agent->WaitExit(5000), 128 + SIGTERM) << testing::ReadFile(Log());
  EXPECT_NE(testing::ReadFile(Log()).find("received Terminated while starting; exiting"),
            std::string::npos)
      << testing::ReadFile(Log());
}

TEST_F(DaemonTest, ReadinessNamesADeadEngineSocket) {
  const std::string sock = (dir_.path() / "engine.sock").string();
  UniqueFd engine = EngineSocket(sock, /*listening=*/false);
  const int port = testing::FreePort();
  auto agent =
      Start(Config("  executor: docker\n  docker:\n    host: \"unix://" + sock + "\"\n", port));
  std::string answer;
  EXPECT_TRUE(WaitFor([&] {
    answer = Readyz(port);
    return answer.find("unix socket " + sock + ": cannot connect: Connection refused") !=
           std::string::npos;
  })) << answer;
  EXPECT_EQ(answer.rfind("503 not ready: ", 0), 0u) << answer;
  WaitUntilRunning(port);
  EXPECT_EQ(agent->Terminate(), 0) << testing::ReadFile(Log());
}

TEST_F(DaemonTest, ReadinessFollowsTheWorkDirAndTheFreeDisk) {
  testing::RedisServer redis;
  redis_url_ = redis.url();
  const int port = testing::FreePort();
  auto agent = Start(Config("", port));
  ASSERT_TRUE(WaitFor([&] { return Readyz(port) == "200 ready\n"; })) << testing::ReadFile(Log());
  {
    testing::ReadOnlyDir work(dir_.path() / "work");
    if (!work.ok()) GTEST_SKIP() << "chattr +i is not available here";
    EXPECT_EQ(Readyz(port), "503 not ready: work dir " + work.path().string() +
                                " not writable: Operation not permitted\n");
  }
  EXPECT_EQ(Readyz(port), "200 ready\n");
  EXPECT_EQ(agent->Terminate(), 0);
  agent = Start(Config("  min_free_disk: 1024Ti\n", port));
  std::string answer;
  EXPECT_TRUE(WaitFor([&] {
    answer = Readyz(port);
    return answer.find("free, below agent.min_free_disk (1024 TiB)") != std::string::npos;
  })) << answer;
}

TEST_F(DaemonTest, MetricsShowTheDisksOfTheWorkAndCacheDirectories) {
  testing::RedisServer redis;
  redis_url_ = redis.url();
  const int port = testing::FreePort();
  std::filesystem::create_directories(dir_.path() / "cache" / "deps");
  testing::WriteFile(dir_.path() / "cache" / "deps" / "entry", std::string(4096, 'x'));
  auto agent = Start(Config("", port));
  std::string metrics;
  ASSERT_TRUE(WaitFor([&] {
    metrics = Get(port, "/metrics");
    return metrics.starts_with("200 ");
  })) << testing::ReadFile(Log());
  EXPECT_NE(metrics.find("raibid_disk_free_bytes{dir=\"work\"}"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("raibid_disk_free_bytes{dir=\"cache\"}"), std::string::npos);
  EXPECT_NE(metrics.find("raibid_dir_bytes{dir=\"cache\"} 4096"), std::string::npos) << metrics;
  const size_t limit = metrics.find("\nraibid_cache_limit_bytes ");
  ASSERT_NE(limit, std::string::npos);
  EXPECT_EQ(std::stod(metrics.substr(limit + 26)), 50.0 * (1ull << 30));  // cache.size's default
  WaitUntilRunning(port);
  EXPECT_EQ(agent->Terminate(), 0);
}

}  // namespace
}  // namespace raibid
