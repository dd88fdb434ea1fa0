// The job log's Redis path: 128 MiB of step output written through RedisLogSink (masking,
// batching, XADD pipelines, every reply read back) into a real redis-server, then read back the
// way `raibid-agent logs` does (XREAD COUNT 1000, entries parsed). Baseline from the same run:
// the same bytes XADDed as 64 KiB entries, four per pipeline, with nothing else. No goal: a
// figure to compare across changes of the sink or the Redis client.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "bench_util.h"
#include "redis/stream_entry.h"
#include "report/redis_log_sink.h"
#include "support/redis_server.h"

using namespace raibid;

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kBytes = size_t{128} << 20;
constexpr size_t kWrite = 32 << 10;  // about one pipe read
constexpr int kRounds = 5;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::unique_ptr<Redis> Connect(const testing::RedisServer& server) {
  return std::move(*Redis::Connect(*ParseRedisUrl(server.url())));
}

double TimeSink(const testing::RedisServer& server, const std::string& block) {
  ReportSettings settings;
  settings.log_limit_bytes = kBytes * 2;
  const auto start = Clock::now();
  {
    RedisLogSink sink(Connect(server), "bench", settings, Masker{});
    for (size_t sent = 0; sent < kBytes; sent += block.size()) {
      sink.Write("build", LogFd::kOut, block);
    }
    sink.Flush();
    if (sink.last_error()) std::fprintf(stderr, "sink: %s\n", sink.last_error()->message.c_str());
  }
  return Seconds(Clock::now() - start);
}

double TimeBareXadd(const testing::RedisServer& server, const std::string& block) {
  auto redis = Connect(server);
  const std::string entry = block + block;  // 64 KiB, the sink's largest entry
  const auto start = Clock::now();
  for (size_t sent = 0; sent < kBytes; sent += 4 * entry.size()) {
    std::vector<RedisArgs> batch(
        4, {"XADD", "ci:logs:bare", "*", "step", "build", "fd", "out", "data", entry});
    (void)redis->Pipeline(batch);
  }
  return Seconds(Clock::now() - start);
}

// The entries of an XREAD reply for one stream.
std::vector<StreamEntry> XreadEntries(const Result<RedisValue>& r) {
  if (!r || r->is_error()) return {};
  return ParseEntries(r->element(0).element(1));  // [[key, entries]]
}

// Reads the whole log as the CLI does; returns seconds and checks the byte count.
double TimeReadBack(const testing::RedisServer& server) {
  auto redis = Connect(server);
  size_t bytes = 0;
  std::string last = "0-0";
  const auto start = Clock::now();
  while (true) {
    auto r = redis->Command({"XREAD", "COUNT", "1000", "STREAMS", "ci:logs:bench", last});
    const auto entries = XreadEntries(r);
    if (entries.empty()) break;
    for (const auto& e : entries) bytes += e.Field("data").value_or("").size();
    last = entries.back().id;
  }
  const double s = Seconds(Clock::now() - start);
  if (bytes != kBytes) std::fprintf(stderr, "read back %zu bytes, not %zu\n", bytes, kBytes);
  return s;
}

}  // namespace

int main() {
  testing::RedisServer server;
  const std::string block = bench::LogBlock(kWrite);
  double sink = 1e9, bare = 1e9, read = 1e9;
  for (int i = 0; i < kRounds; ++i) {
    server.Cli({"DEL", "ci:logs:bench", "ci:logs:bare"});
    const double b = TimeBareXadd(server, block);
    const double s = TimeSink(server, block);
    const double r = TimeReadBack(server);
    std::printf("round %d: bare XADD %.3fs, RedisLogSink %.3fs, read back %.3fs\n", i + 1, b, s, r);
    bare = std::min(bare, b);
    sink = std::min(sink, s);
    read = std::min(read, r);
  }
  const double mib = static_cast<double>(kBytes >> 20);
  std::printf("redis log path, %.0f MiB of stdout (best of %d)\n", mib, kRounds);
  std::printf("  baseline  bare XADD pipelines     : %.3f s (%.0f MiB/s)\n", bare, mib / bare);
  std::printf("  RedisLogSink, written and flushed : %.3f s (%.0f MiB/s)\n", sink, mib / sink);
  std::printf("  read back, XREAD COUNT 1000       : %.3f s (%.0f MiB/s)\n", read, mib / read);
  std::printf("  ratio sink / baseline             : %.2fx\n", sink / bare);
  return 0;
}
