// Following a Sentinel failover: from the moment the master is killed to the first job submitted
// after it finishing on the promoted replica, beside Sentinel's own failover time (the kill to
// the sentinels naming the replica) measured in the same rounds. The difference is what the
// agent adds: noticing the loss, asking the sentinels again, backing off while they elect.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <thread>

#include "bench_util.h"
#include "process/reaper.h"
#include "support/agent_harness.h"
#include "support/git_repo.h"
#include "support/redis_sentinels.h"

using namespace raibid;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr int kRounds = 5;

std::string JobJson(const std::string& id) {
  return R"({"job_id": ")" + id +
         R"(", "repository": "acme/app", "branch": "main", )"
         R"("pipeline": {"steps": [{"name": "s", "command": "true"}]}})";
}

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

// One round: a fresh master, replica and sentinels, an agent that has run one job; returns
// {sentinel failover, first job done on the new master}, in seconds from the kill.
std::pair<double, double> Round(const std::filesystem::path& repos, int round) {
  testing::RedisSentinels cluster;
  // The reaper the daemon uses: the small static program installed beside the agent.
  testing::AgentHarness agent(
      {.git_base_url = "file://" + repos.string(),
       .reaper = std::filesystem::path(RAIBID_AGENT_BINARY).parent_path() / "raibid-agent-reaper",
       .redis_url = cluster.url()});
  auto state = [&](const std::string& id) {
    return cluster.MasterCli({"HGET", "ci:job:" + id, "state"});
  };
  const std::string warm = "warm-" + std::to_string(round);
  cluster.MasterCli({"XADD", "ci-jobs", "*", "job", JobJson(warm)});
  testing::WaitFor([&] { return state(warm) == "succeeded"; }, std::chrono::seconds(30));
  cluster.MasterCli({"WAIT", "1", "5000"});
  const auto kill = SteadyClock::now();
  const auto sentinel = cluster.KillMasterAndAwaitFailover();
  const std::string after = "after-" + std::to_string(round);
  cluster.MasterCli({"XADD", "ci-jobs", "*", "job", JobJson(after)});
  if (!testing::WaitFor([&] { return state(after) == "succeeded"; }, std::chrono::seconds(60))) {
    return {std::chrono::duration<double>(sentinel).count(), -1};
  }
  return {std::chrono::duration<double>(sentinel).count(), Seconds(SteadyClock::now() - kill)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], kReaperArg) == 0) return RunReaperMain(argc, argv);
  spdlog::set_level(spdlog::level::err);
  testing::TempDir repos("raibid-repos");
  testing::GitRepo repo(repos.path() / "acme" / "app.git");
  repo.Commit({{"README", "x\n"}});
  std::vector<double> sentinel, job;
  for (int i = 0; i < kRounds; ++i) {
    auto [s, j] = Round(repos.path(), i);
    std::printf("round %d: sentinel failover %.2f s, first job done on the new master %.2f s\n", i,
                s, j);
    sentinel.push_back(s);
    job.push_back(j);
  }
  std::printf(
      "failover (%d rounds, down-after-milliseconds 1000): first job on the new master p50 %.2f s "
      "max %.2f s; Sentinel's own failover p50 %.2f s max %.2f s; the agent adds p50 %.2f s\n",
      kRounds, bench::Percentile(job, 50), bench::Percentile(job, 100),
      bench::Percentile(sentinel, 50), bench::Percentile(sentinel, 100),
      bench::Percentile(job, 50) - bench::Percentile(sentinel, 50));
  return 0;
}
