// Idle agent memory: the resident set of `raibid-agent run` waiting on an empty queue.
// Goal: <= 8 MiB. Baselines from the same run: `sleep` (the floor for any dynamically linked
// process here) and an idle redis-server; beside them Woodpecker's agent, 11-17 MiB idle, a
// published figure quoted here, not measured.
#include <cstdio>
#include <thread>

#include "bench_util.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace raibid;

namespace {

double MiB(long kib) { return kib / 1024.0; }

}  // namespace

int main() {
  testing::RedisServer redis;
  testing::TempDir dir("raibid-bench-rss");
  testing::WriteFile(dir.path() / "agent.yaml",
                     "agent:\n  http:\n    listen: \"127.0.0.1:0\"\n  redis:\n    url: \"" +
                         redis.url() + "\"\n  work_dir: \"" + (dir.path() / "work").string() +
                         "\"\n  cache:\n    path: \"" + (dir.path() / "cache").string() + "\"\n");
  testing::ServerProcess agent(
      {RAIBID_AGENT_BINARY, "run", "--config", (dir.path() / "agent.yaml").string()},
      (dir.path() / "agent.log").string());
  testing::ServerProcess sleeper({"sleep", "60"}, (dir.path() / "sleep.log").string());
  // Let the agent connect, create its group and settle into its blocking read.
  testing::WaitFor([&] {
    return redis.Cli({"XINFO", "GROUPS", "ci-jobs"}).find("ci-workers") != std::string::npos;
  });
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const std::string apid = std::to_string(agent.pid());
  const long agent_rss = bench::StatusKiB(apid, "VmRSS");
  const long agent_hwm = bench::StatusKiB(apid, "VmHWM");
  const long sleep_rss = bench::StatusKiB(std::to_string(sleeper.pid()), "VmRSS");
  const std::string redis_pid = redis.Cli({"INFO", "server"});
  auto pos = redis_pid.find("process_id:");
  const long redis_rss =
      pos == std::string::npos
          ? -1
          : bench::StatusKiB(std::to_string(std::stol(redis_pid.substr(pos + 11))), "VmRSS");
  std::printf("idle agent memory (goal: <= 8 MiB resident)\n");
  std::printf("  raibid-agent run, idle           VmRSS %6.2f MiB   peak %6.2f MiB\n",
              MiB(agent_rss), MiB(agent_hwm));
  std::printf("baselines measured in this run:\n");
  std::printf("  sleep (process floor)            VmRSS %6.2f MiB\n", MiB(sleep_rss));
  std::printf("  redis-server, idle               VmRSS %6.2f MiB\n", MiB(redis_rss));
  std::printf("quoted, not measured here:\n");
  std::printf("  Woodpecker agent, idle           11-17 MiB (its published figure)\n");
  std::printf("result: %.2f MiB (%s)\n", MiB(agent_rss), bench::Verdict(agent_rss <= 8 * 1024));
  return 0;
}
