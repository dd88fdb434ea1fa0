// Throughput of one agent (the real binary) with `concurrency: 2` on trivial jobs, warm source
// cache. Goal: >= 100 jobs/s. Baseline from the same run: the floor of spawning each job's step
// directly, two at a time, with nothing else (no queue, checkout or reporting).
#include <cstdio>
#include <thread>

#include "bench_util.h"
#include "process/run_command.h"
#include "redis/redis.h"
#include "support/git_repo.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace raibid;

namespace {

constexpr int kJobs = 400;

std::string JobJson(const std::string& id, const std::string& repo, const std::string& sha) {
  return R"({"job_id": ")" + id + R"(", "repository": ")" + repo + R"(", "commit": ")" + sha +
         R"(", "pipeline": {"steps": [{"name": "noop", "command": "true"}]}})";
}

int CountFinal(Redis& redis, int n) {
  std::vector<RedisArgs> cmds;
  for (int i = 0; i < n; ++i) cmds.push_back({"HGET", "ci:job:t-" + std::to_string(i), "state"});
  auto r = redis.Pipeline(cmds);
  int done = 0;
  for (const auto& reply : *r) {
    const std::string s = reply.str();
    done += (s == "succeeded" || s == "failed" || s == "timed_out" || s == "cancelled");
  }
  return done;
}

double SpawnFloor() {
  const double t0 = bench::NowMicros();
  auto worker = [] {
    for (int i = 0; i < kJobs / 2; ++i) (void)RunCommand({.argv = {"bash", "-e", "-c", "true"}});
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  return kJobs / ((bench::NowMicros() - t0) / 1e6);
}

}  // namespace

int main() {
  testing::RedisServer redis;
  testing::TempDir dir("raibid-bench-tput");
  testing::GitRepo repo(dir.path() / "repo");
  const std::string sha = repo.Commit({{"README", "x\n"}});
  testing::WriteFile(
      dir.path() / "agent.yaml",
      "agent:\n  concurrency: 2\n  http:\n    listen: \"127.0.0.1:0\"\n  redis:\n    url: \"" +
          redis.url() + "\"\n  work_dir: \"" + (dir.path() / "work").string() +
          "\"\n  cache:\n    path: \"" + (dir.path() / "cache").string() + "\"\n");
  testing::ServerProcess agent(
      {RAIBID_AGENT_BINARY, "run", "--config", (dir.path() / "agent.yaml").string()},
      (dir.path() / "agent.log").string());
  auto conn = std::move(*Redis::Connect(*ParseRedisUrl(redis.url())));
  // Warm the source cache.
  (void)conn->Command({"XADD", "ci-jobs", "*", "job", JobJson("warm", repo.file_url(), sha)});
  const auto warmed = [&] {
    return (*conn->Command({"HGET", "ci:job:warm", "state"})).str() == "succeeded";
  };
  testing::WaitFor(warmed, std::chrono::seconds(30));

  std::vector<RedisArgs> adds;
  for (int i = 0; i < kJobs; ++i) {
    adds.push_back(
        {"XADD", "ci-jobs", "*", "job", JobJson("t-" + std::to_string(i), repo.file_url(), sha)});
  }
  const double t0 = bench::NowMicros();
  (void)conn->Pipeline(adds);
  int done = 0;
  while (done < kJobs && bench::NowMicros() - t0 < 120e6) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    done = CountFinal(*conn, kJobs);
  }
  const double seconds = (bench::NowMicros() - t0) / 1e6;
  const double rate = done / seconds;
  std::printf(
      "throughput, one agent, concurrency 2, %d trivial jobs, warm cache (goal: >= 100 jobs/s)\n",
      kJobs);
  std::printf("  raibid-agent                         %7.1f jobs/s  (%d done in %.2f s)\n", rate,
              done, seconds);
  std::printf("baseline measured in this run:\n");
  std::printf(
      "  spawn the step's bash directly, x2    %7.1f jobs/s  (the floor of any shell executor)\n",
      SpawnFloor());
  std::printf("result: %.1f jobs/s (%s)\n", rate, bench::Verdict(rate >= 100));
  return done == kJobs ? 0 : 1;
}
