// What the registry layer cache saves an image build in a new pod: the same Containerfile built
// twice, each time in image storage of its own (as a new pod has), first with an empty cache
// repository (cold: every step runs and its layer is pushed to the cache), then with the cache the
// first build left in the registry (every layer pulled instead of built). buildah 1.28 with
// --layers --cache-from/--cache-to against a local docker-registry; the steps do CPU work (a
// checksum over generated data) and write a layer of `MiB` MiB.
// Usage: layer_cache_bench [MiB] [rounds]   (defaults 64 and 3; figures are medians)
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_util.h"
#include "support/image_builder.h"
#include "support/oci_registry.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using Clock = std::chrono::steady_clock;
using testing::ImageBuilder;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void WriteContext(const std::filesystem::path& dir, const std::string& base, int mib) {
  const std::string count = std::to_string(mib);
  testing::WriteFile(
      dir / "Containerfile",
      "FROM " + base + "\n" + "RUN mkdir /out && head -c " + count +
          "m /dev/urandom > /out/data\n" +
          "RUN for i in 1 2 3 4 5 6 7 8; do sha256sum /out/data; done > /out/sums\n" +
          "COPY app.txt /out/app.txt\n");
  testing::WriteFile(dir / "app.txt", "app\n");
}

}  // namespace
}  // namespace raibid

int main(int argc, char** argv) {
  using namespace raibid;
  const int mib = argc > 1 ? std::stoi(argv[1]) : 64;
  const int rounds = argc > 2 ? std::stoi(argv[2]) : 3;
  if (!testing::BuildahAvailable()) {
    std::printf("layer_cache_bench: buildah, runc or busybox missing\n");
    return 1;
  }
  testing::OciRegistry registry;
  const std::vector<std::string> insecure = {registry.host()};
  const std::string base = registry.host() + "/busybox:base";
  ImageBuilder(insecure).PushBusyboxBase(base);
  testing::TempDir context("raibid-bench-context");
  WriteContext(context.path(), base, mib);
  std::vector<double> cold, cached;
  for (int round = 0; round < rounds; ++round) {
    // A cache repository per round, so each cold build starts from an empty one.
    const std::string cache = registry.host() + "/app/cache" + std::to_string(round);
    const std::string tag = registry.host() + "/app:" + std::to_string(round);
    auto start = Clock::now();
    ImageBuilder(insecure).BuildWithRegistryCache(context.path(), tag, cache);
    cold.push_back(Seconds(start));
    start = Clock::now();
    const auto output = ImageBuilder(insecure).BuildWithRegistryCache(context.path(), tag, cache);
    cached.push_back(Seconds(start));
    if (testing::CountOccurrences(output, "Using cache") != 3) {
      std::printf("layer_cache_bench: the second build did not use the cache:\n%s\n",
                  output.c_str());
      return 1;
    }
  }
  const double c = bench::Percentile(cold, 50), w = bench::Percentile(cached, 50);
  std::printf("image build in fresh storage, %d MiB layer, median of %d:\n", mib, rounds);
  std::printf("  %-34s %8.2f s\n", "cold (no cache; pushes the cache)", c);
  std::printf("  %-34s %8.2f s   (%.1fx faster)\n", "second (layers from the registry)", w, c / w);
  return 0;
}
