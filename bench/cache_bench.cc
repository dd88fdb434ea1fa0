// Cache save + restore of a 1 GiB tree of build output (many small files, some large ones)
// through the agent's cache store, against `tar -I 'zstd -T0'` of the same tree (create, then
// extract). Goal: <= 1.0x.
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>

#include "bench_util.h"
#include "cache/cache_store.h"
#include "process/run_command.h"
#include "support/temp_dir.h"

using namespace raibid;
namespace fs = std::filesystem;

namespace {

// Build output compresses a few times over: random words from a small vocabulary do too.
void WriteBuildLike(const fs::path& path, size_t bytes, std::mt19937_64& rng) {
  static const char* words[] = {"mov",           "call",    "ret",          "push",
                                "pop",           "lea",     "jmp",          "cmp",
                                "__ZN4core3fmt", "_raibid", "\x01\x02\x03", "\xff\xfe"};
  std::string buf;
  buf.reserve(bytes);
  while (buf.size() < bytes) {
    const uint64_t r = rng();
    buf += words[r % 12];
    buf.push_back(static_cast<char>(r >> 8));
    if ((r >> 16) % 7 == 0) buf.append(reinterpret_cast<const char*>(&r), 8);
  }
  buf.resize(bytes);
  std::ofstream(path, std::ios::binary).write(buf.data(), buf.size());
}

uint64_t MakeTree(const fs::path& root) {
  std::mt19937_64 rng(7);
  uint64_t total = 0;
  for (int d = 0; d < 100; ++d) {
    const auto dir = root / "target/debug/deps" / ("crate" + std::to_string(d));
    fs::create_directories(dir);
    for (int f = 0; f < 200; ++f) {  // 20,000 small files, 16 KiB each: ~320 MiB
      WriteBuildLike(dir / ("obj" + std::to_string(f) + ".o"), 16 << 10, rng);
      total += 16 << 10;
    }
  }
  for (int f = 0; f < 7; ++f) {  // 7 large files of 100 MiB: ~700 MiB
    WriteBuildLike(root / "target/debug" / ("lib" + std::to_string(f) + ".rlib"), 100 << 20, rng);
    total += 100 << 20;
  }
  return total;
}

double Seconds(const std::function<void()>& f) {
  const double t0 = bench::NowMicros();
  f();
  return (bench::NowMicros() - t0) / 1e6;
}

void Sync() { (void)RunCommand({.argv = {"sync"}}); }

}  // namespace

int main() {
  testing::TempDir dir("raibid-bench-cache");
  const auto ws = dir.path() / "ws";
  const uint64_t bytes = MakeTree(ws);
  CacheStore store(dir.path() / "store", 1ull << 40, {}, 2);
  const CacheKey key{"bench#branch:main", "k"};
  const std::vector<ArchiveRoot> roots = {{"w", ws, {"target"}}};
  const auto tarball = dir.path() / "baseline.tar.zst";
  std::vector<double> agent_save, agent_restore, tar_save, tar_restore;
  for (int round = 0; round < 2; ++round) {
    Sync();
    tar_save.push_back(Seconds([&] {
      (void)RunCommand({.argv = {"tar", "-C", ws.string(), "-I", "zstd -3 -T0", "-cf",
                                 tarball.string(), "target"}});
    }));
    Sync();
    agent_save.push_back(Seconds([&] { (void)store.Save(key, roots); }));
    Sync();
    const auto out_tar = dir.path() / ("tar-out" + std::to_string(round));
    fs::create_directories(out_tar);
    tar_restore.push_back(Seconds([&] {
      (void)RunCommand(
          {.argv = {"tar", "-C", out_tar.string(), "-I", "zstd -T0", "-xf", tarball.string()}});
    }));
    Sync();
    const auto out_agent = dir.path() / ("agent-out" + std::to_string(round));
    const auto restore = [&] {
      (void)store.Restore(*store.Find({.keys = {key}}), {{"w", out_agent, {}}});
    };
    agent_restore.push_back(Seconds(restore));
    fs::remove_all(out_tar);
    fs::remove_all(out_agent);
  }
  const double a = bench::Percentile(agent_save, 0) + bench::Percentile(agent_restore, 0);
  const double t = bench::Percentile(tar_save, 0) + bench::Percentile(tar_restore, 0);
  std::printf(
      "cache save + restore of %.2f GiB (20,000 files of 16 KiB, 7 of 100 MiB), best of 2 (goal: "
      "<= 1.0x tar + zstd -T0)\n",
      bytes / 1073741824.0);
  std::printf("  agent cache store   save %.2f s  restore %.2f s  total %.2f s  entry %.0f MiB\n",
              bench::Percentile(agent_save, 0), bench::Percentile(agent_restore, 0), a,
              fs::file_size(store.EntryPath(key)) / 1048576.0);
  std::printf("baseline measured in this run:\n");
  std::printf("  tar -I 'zstd -T0'   save %.2f s  restore %.2f s  total %.2f s  archive %.0f MiB\n",
              bench::Percentile(tar_save, 0), bench::Percentile(tar_restore, 0), t,
              fs::file_size(tarball) / 1048576.0);
  std::printf("result: %.2fx (%s)\n", a / t, bench::Verdict(a / t <= 1.0));
  return 0;
}
