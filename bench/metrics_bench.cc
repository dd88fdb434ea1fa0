// /metrics under load: a job doing fixed single-threaded CPU work runs with nobody scraping and
// while /metrics is scraped 100 times a second. Reports the job's slowdown (goal: not measurable)
// and the scrape latency (goal: p99 <= 5 ms). Baselines from the same run: the unscraped job, and
// /healthz (a constant answer) scraped during the same kind of job, the server's own floor.
#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "bench_util.h"
#include "support/git_repo.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

using namespace raibid;

namespace {

// The step's duration in ms, from the job hash.
double RunJob(testing::RedisServer& redis, const std::string& repo, const std::string& id) {
  redis.Cli(
      {"XADD", "ci-jobs", "*", "job",
       R"({"job_id": ")" + id + R"(", "repository": ")" + repo +
           R"(", "branch": "main", "pipeline": {"steps": [{"name": "work", "command": "awk 'BEGIN{for(i=0;i<20000000;i++)s+=i}'"}]}})"});
  const auto succeeded = [&] {
    return redis.Cli({"HGET", "ci:job:" + id, "state"}) == "succeeded";
  };
  testing::WaitFor(succeeded, std::chrono::seconds(120));
  const std::string steps = redis.Cli({"HGET", "ci:job:" + id, "steps"});
  const auto pos = steps.find("\"duration_ms\":");
  return pos == std::string::npos ? -1 : std::stod(steps.substr(pos + 14));
}

// Scrapes `path` at `per_second` until `stop`; returns each latency in ms.
std::vector<double> Scrape(int port, const char* path, int per_second, std::atomic<bool>& stop) {
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  std::vector<double> ms;
  const auto interval = std::chrono::microseconds(1'000'000 / per_second);
  auto next = std::chrono::steady_clock::now();
  while (!stop) {
    const double t0 = bench::NowMicros();
    auto r = client.Get(path);
    if (r && r->status == 200) ms.push_back((bench::NowMicros() - t0) / 1000.0);
    next += interval;
    std::this_thread::sleep_until(next);
  }
  return ms;
}

}  // namespace

int main() {
  testing::RedisServer redis;
  testing::TempDir dir("raibid-bench-metrics");
  testing::GitRepo repo(dir.path() / "repo");
  repo.Commit({{"README", "x\n"}});
  const int port = testing::FreePort();
  testing::WriteFile(dir.path() / "agent.yaml",
                     "agent:\n  http:\n    listen: \"127.0.0.1:" + std::to_string(port) +
                         "\"\n  redis:\n    url: \"" + redis.url() + "\"\n  work_dir: \"" +
                         (dir.path() / "work").string() + "\"\n  cache:\n    path: \"" +
                         (dir.path() / "cache").string() + "\"\n");
  testing::ServerProcess agent(
      {RAIBID_AGENT_BINARY, "run", "--config", (dir.path() / "agent.yaml").string()},
      (dir.path() / "agent.log").string());
  agent.WaitForPort(port);
  RunJob(redis, repo.file_url(), "warm");

  std::vector<double> quiet, loaded, metrics_ms, healthz_ms;
  // A job while `path` is scraped 100 times a second; the latencies go to `into`.
  auto scraped_job = [&](const char* path, const std::string& id, std::vector<double>& into) {
    std::atomic<bool> stop{false};
    std::vector<double> got;
    std::thread scraper([&] { got = Scrape(port, path, 100, stop); });
    const double ms = RunJob(redis, repo.file_url(), id);
    stop = true;
    scraper.join();
    into.insert(into.end(), got.begin(), got.end());
    return ms;
  };
  for (int round = 0; round < 3; ++round) {
    const std::string r = std::to_string(round);
    quiet.push_back(RunJob(redis, repo.file_url(), "quiet-" + r));
    loaded.push_back(scraped_job("/metrics", "loaded-" + r, metrics_ms));
    scraped_job("/healthz", "healthz-" + r, healthz_ms);
  }
  const double q = bench::Percentile(quiet, 50), l = bench::Percentile(loaded, 50);
  std::printf("/metrics under load (goal: job not measurably slower; scrape p99 <= 5 ms)\n");
  std::printf("  job step, nobody scraping (median of 3)    %7.0f ms\n", q);
  std::printf("  job step, 100 scrapes/s (median of 3)      %7.0f ms   ratio %.3f\n", l, l / q);
  std::printf(
      "  /metrics latency over %zu scrapes           p50 %.2f ms   p99 %.2f ms   max %.2f ms\n",
      metrics_ms.size(), bench::Percentile(metrics_ms, 50), bench::Percentile(metrics_ms, 99),
      bench::Percentile(metrics_ms, 100));
  std::printf("baseline measured in this run:\n");
  std::printf(
      "  /healthz (a constant answer) during the same job, %zu scrapes   p50 %.2f ms   p99 %.2f "
      "ms\n",
      healthz_ms.size(), bench::Percentile(healthz_ms, 50), bench::Percentile(healthz_ms, 99));
  const double p99 = bench::Percentile(metrics_ms, 99);
  std::printf("result: slowdown %.1f%%, scrape p99 %.2f ms (%s)\n", (l / q - 1) * 100, p99,
              bench::Verdict(p99 <= 5));
  return 0;
}
