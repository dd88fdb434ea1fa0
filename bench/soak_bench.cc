// Soak: 1,000 short jobs through 4 agents (real processes, one Redis, one shared cache volume)
// while a chaos loop SIGKILLs a random agent every few seconds and starts a replacement under a
// new name, as a Kubernetes pod would come back. Reports jobs lost (goal 0), jobs whose step ran
// to completion twice (goal 0 outside a kill window), throughput, and the time from an agent's
// death to its job running on another agent (goal <= lease + 1 s).
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "bench_util.h"
#include "redis/redis.h"
#include "support/git_repo.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace raibid;

namespace {

constexpr int kJobs = 1000;
constexpr int kAgents = 4;
constexpr int kLeaseSeconds = 2;
constexpr auto kKillEvery = std::chrono::seconds(3);

struct Fleet {
  testing::TempDir& dir;
  std::string redis_url;
  std::map<std::string, std::unique_ptr<testing::ServerProcess>> agents;
  int generation = 0;

  std::string Start() {
    const std::string name = "soak-" + std::to_string(generation++);
    const auto config = dir.path() / (name + ".yaml");
    testing::WriteFile(
        config, "agent:\n  http:\n    listen: \"127.0.0.1:0\"\n  redis:\n    url: \"" + redis_url +
                    "\"\n    consumer_name: " + name + "\n  work_dir: \"" +
                    (dir.path() / "work" / name).string() + "\"\n  cache:\n    path: \"" +
                    (dir.path() / "cache").string() +
                    "\"\n  lease_seconds: " + std::to_string(kLeaseSeconds) + "\n");
    agents[name] = std::make_unique<testing::ServerProcess>(
        std::vector<std::string>{RAIBID_AGENT_BINARY, "run", "--config", config.string()},
        (dir.path() / (name + ".log")).string());
    return name;
  }
};

std::vector<std::pair<std::string, std::string>> States(Redis& redis) {
  std::vector<RedisArgs> cmds;
  for (int i = 0; i < kJobs; ++i)
    cmds.push_back({"HMGET", "ci:job:s-" + std::to_string(i), "state", "agent"});
  auto replies = redis.Pipeline(cmds);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : *replies) out.emplace_back(r.element(0).str(), r.element(1).str());
  return out;
}

bool IsFinal(const std::string& s) {
  return s == "succeeded" || s == "failed" || s == "timed_out" || s == "cancelled";
}

}  // namespace

int main() {
  testing::RedisServer redis;
  testing::TempDir dir("raibid-soak");
  testing::GitRepo repo(dir.path() / "repo");
  const std::string sha = repo.Commit({{"README", "soak\n"}});
  const auto completions = dir.path() / "completions.txt";
  Fleet fleet{dir, redis.url(), {}, 0};
  for (int i = 0; i < kAgents; ++i) fleet.Start();
  auto conn = std::move(*Redis::Connect(*ParseRedisUrl(redis.url())));

  std::vector<RedisArgs> adds;
  for (int i = 0; i < kJobs; ++i) {
    adds.push_back(
        {"XADD", "ci-jobs", "*", "job",
         R"({"job_id": "s-)" + std::to_string(i) + R"(", "repository": ")" + repo.file_url() +
             R"(", "commit": ")" + sha +
             R"(", "pipeline": {"steps": [{"name": "work", "command": "sleep 0.05; echo $RAIBID_JOB_ID >> )" +
             completions.string() + R"("}]}})"});
  }
  const double t0 = bench::NowMicros();
  (void)conn->Pipeline(adds);

  std::mt19937 rng(42);
  std::vector<double> takeover_ms;
  std::map<std::string, std::pair<std::string, double>> orphaned;  // job -> (dead agent, time)
  int kills = 0, done = 0;
  auto next_kill = std::chrono::steady_clock::now() + kKillEvery;
  while (done < kJobs && bench::NowMicros() - t0 < 600e6) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto states = States(*conn);
    done = 0;
    for (int i = 0; i < kJobs; ++i) {
      const auto& [state, agent] = states[i];
      done += IsFinal(state);
      auto it = orphaned.find("s-" + std::to_string(i));
      if (it != orphaned.end() && agent != it->second.first) {
        takeover_ms.push_back((bench::NowMicros() - it->second.second) / 1000.0);
        orphaned.erase(it);
      }
    }
    if (std::chrono::steady_clock::now() < next_kill || done == kJobs) continue;
    next_kill += kKillEvery;
    auto victim = std::next(fleet.agents.begin(), rng() % fleet.agents.size());
    const std::string name = victim->first;
    victim->second->Stop();  // SIGKILL
    fleet.agents.erase(victim);
    ++kills;
    const double killed_at = bench::NowMicros();
    for (int i = 0; i < kJobs; ++i) {
      if (states[i].second == name && states[i].first == "running") {
        orphaned["s-" + std::to_string(i)] = {name, killed_at};
      }
    }
    fleet.Start();
  }
  const double seconds = (bench::NowMicros() - t0) / 1e6;

  std::map<std::string, int> runs;
  std::istringstream in(testing::ReadFile(completions));
  for (std::string id; std::getline(in, id);) ++runs[id];
  int twice = 0;
  for (const auto& [id, n] : runs) twice += n > 1;
  int succeeded = 0;
  for (const auto& [state, agent] : States(*conn)) succeeded += state == "succeeded";
  const std::string pending = redis.Cli({"XPENDING", "ci-jobs", "ci-workers"});

  std::printf("soak: %d jobs, %d agents, lease %d s, SIGKILL + replacement every %lld s\n", kJobs,
              kAgents, kLeaseSeconds, static_cast<long long>(kKillEvery.count()));
  std::printf("  agents killed                      %d\n", kills);
  std::printf("  jobs succeeded                     %d / %d\n", succeeded, kJobs);
  std::printf("  jobs lost                          %d (goal 0)\n", kJobs - done);
  std::printf(
      "  jobs whose step completed twice    %d (goal 0 outside a kill window: only an agent dying\n"
      "                                     between a step's end and the job's final write repeats "
      "one)\n",
      twice);
  std::printf("  entries pending at the end         %s\n",
              pending.substr(0, pending.find('\n')).c_str());
  std::printf("  throughput                         %.1f jobs/s over %.1f s\n", kJobs / seconds,
              seconds);
  std::printf(
      "  death -> running on another agent  p50 %.0f ms, p99 %.0f ms, max %.0f ms over %zu jobs "
      "(goal <= %d ms)\n",
      bench::Percentile(takeover_ms, 50), bench::Percentile(takeover_ms, 99),
      bench::Percentile(takeover_ms, 100), takeover_ms.size(), kLeaseSeconds * 1000 + 1000);
  std::printf(
      "baseline: the lease itself (%d s) is the floor of any takeover; GitLab Runner has no "
      "takeover\n",
      kLeaseSeconds);
  return kJobs - done == 0 ? 0 : 1;
}
