// What TLS to Redis costs, each figure over rediss:// beside the same over plain TCP in the same
// run (goal: TLS at most 1.2x plain for each):
// - queue-to-step latency: XADD of a job to its first step's process running, warm source cache,
//   an in-process agent on a redis-server serving TLS only, then on a plain one;
// - log throughput: 1 GiB of step output through RedisLogSink (masking, batching, XADD
//   pipelines, every reply read back), in 128 MiB rounds (the stream is deleted between rounds,
//   untimed, so Redis holds at most 128 MiB), plain and TLS rounds alternating.
// The certificates are EC P-256, made for the run; OpenSSL negotiates TLS 1.3.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include <spdlog/spdlog.h>

#include "bench_util.h"
#include "process/reaper.h"
#include "report/redis_log_sink.h"
#include "support/agent_harness.h"
#include "support/git_repo.h"
#include "support/test_pki.h"

using namespace raibid;

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kJobs = 40;
constexpr size_t kRoundBytes = size_t{128} << 20;
constexpr int kRounds = 8;  // 1 GiB in all
constexpr size_t kWrite = 32 << 10;

// Stream-ID time of each job's XADD to its step's stamp, in ms; empty when a job failed.
std::vector<double> Latencies(testing::AgentHarness& h, const std::string& sha) {
  auto client = std::move(*Redis::Connect(h.redis_endpoint()));
  h.Enqueue(bench::StampJobJson("warm", sha));
  if (h.WaitFinal("warm") != "succeeded") return {};
  std::vector<double> ms;
  for (int i = 0; i < kJobs; ++i) {
    const std::string id = "lat-" + std::to_string(i);
    auto entry = client->Command({"XADD", "ci-jobs", "*", "job", bench::StampJobJson(id, sha)});
    if (!entry || h.WaitFinal(id) != "succeeded") return {};
    const double added = std::stod(entry->str().substr(0, entry->str().find('-'))) * 1000.0;
    ms.push_back((bench::StampMicros(h.Log(id)) - added) / 1000.0);
  }
  return ms;
}

// One round: kRoundBytes through the sink, flushed; seconds.
double TimeSinkRound(const RedisEndpoint& ep, const std::string& block) {
  ReportSettings settings;
  settings.log_limit_bytes = kRoundBytes * 2;
  const auto start = Clock::now();
  {
    RedisLogSink sink(std::move(*Redis::Connect(ep)), "bench", settings, Masker{});
    for (size_t sent = 0; sent < kRoundBytes; sent += block.size()) {
      sink.Write("build", LogFd::kOut, block);
    }
    sink.Flush();
    if (sink.last_error()) std::fprintf(stderr, "sink: %s\n", sink.last_error()->message.c_str());
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  (void)(*Redis::Connect(ep))->Command({"DEL", "ci:logs:bench"});
  return s;
}

void PrintLatency(const char* what, const std::vector<double>& ms) {
  std::printf("  %-32s p50 %7.2f ms   p99 %7.2f ms   max %7.2f ms\n", what,
              bench::Percentile(ms, 50), bench::Percentile(ms, 99), bench::Percentile(ms, 100));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], kReaperArg) == 0) return RunReaperMain(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  testing::TempDir repos("raibid-bench-repos");
  testing::GitRepo repo(repos.path() / "acme" / "app.git");
  const std::string sha = repo.Commit({{"README", "bench\n"}});
  const auto reaper =
      std::filesystem::path(RAIBID_AGENT_BINARY).parent_path() / "raibid-agent-reaper";

  std::vector<double> plain_ms, tls_ms;
  for (bool tls : {false, true}) {
    testing::AgentHarness h(
        {.git_base_url = "file://" + repos.path().string(), .redis_tls = tls, .reaper = reaper});
    (tls ? tls_ms : plain_ms) = Latencies(h, sha);
  }
  if (plain_ms.empty() || tls_ms.empty()) {
    std::fprintf(stderr, "a latency job failed\n");
    return 1;
  }

  testing::TestPki pki;
  testing::RedisServer plain_server;
  testing::RedisServer tls_server(
      false,
      testing::RedisTlsFiles{.ca = pki.ca(), .cert = pki.server_cert(), .key = pki.server_key()});
  const RedisEndpoint plain_ep = *ParseRedisUrl(plain_server.url());
  RedisEndpoint tls_ep = *ParseRedisUrl(tls_server.url());
  tls_ep.tls.ca_file = pki.ca();
  const std::string block = bench::LogBlock(kWrite);
  double plain_s = 0, tls_s = 0;
  for (int i = 0; i < kRounds; ++i) {
    plain_s += TimeSinkRound(plain_ep, block);
    tls_s += TimeSinkRound(tls_ep, block);
  }

  std::printf("redis over TLS beside plain TCP, same run\n");
  std::printf("queue-to-step latency, %d jobs each, stream-ID time -> step running:\n", kJobs);
  PrintLatency("plain redis://", plain_ms);
  PrintLatency("TLS rediss://", tls_ms);
  const double p50 = bench::Percentile(tls_ms, 50) / bench::Percentile(plain_ms, 50);
  const double p99 = bench::Percentile(tls_ms, 99) / bench::Percentile(plain_ms, 99);
  const double gib = static_cast<double>(kRounds * kRoundBytes) / (1 << 30);
  std::printf("log throughput, %.0f GiB through RedisLogSink in %d rounds:\n", gib, kRounds);
  std::printf("  plain redis://                   %.3f s (%.0f MiB/s)\n", plain_s,
              gib * 1024 / plain_s);
  std::printf("  TLS rediss://                    %.3f s (%.0f MiB/s)\n", tls_s,
              gib * 1024 / tls_s);
  std::printf("result: latency p50 %.2fx (%s), p99 %.2fx (%s); throughput %.2fx (%s)\n", p50,
              bench::Verdict(p50 <= 1.2), p99, bench::Verdict(p99 <= 1.2), tls_s / plain_s,
              bench::Verdict(tls_s / plain_s <= 1.2));
  return 0;
}
