// What publishing an artifact costs: a 256 MiB file (gzip data, so skopeo does not recompress it)
// pushed by the agent (PushArtifacts: digest pass, HEAD, upload, manifest) to a local
// docker-registry, against `skopeo copy` of the same content from an OCI layout and a bare
// `curl -T` PUT of the blob; then the blob downloaded back with FetchBlob against `curl -o`.
// Each run is a child process, so its peak RSS (wait4's ru_maxrss) is its own.
// Goals (for 1 GiB): push <= 1.1x skopeo, agent peak RSS <= 64 MiB, download <= 1.1x
// curl. Usage: registry_bench [MiB] [rounds]   (defaults 256 and 3; figures are medians)
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "bench_util.h"
#include "process/run_command.h"
#include "registry/artifact_push.h"
#include "registry/digest.h"
#include "support/oci_registry.h"

namespace raibid {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kUser = "bench";
constexpr const char* kPassword = "bench-pass";

struct Measure {
  double seconds = 0;
  double rss_mib = 0;
  bool ok = false;
};

// Runs `work` in a child process; its exit status 0 means success.
Measure InChild(const std::function<int()>& work) {
  const auto start = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) _exit(work());
  int status = 0;
  rusage ru{};
  wait4(pid, &status, 0, &ru);
  return {std::chrono::duration<double>(Clock::now() - start).count(), ru.ru_maxrss / 1024.0,
          WIFEXITED(status) && WEXITSTATUS(status) == 0};
}

Measure Exec(std::vector<std::string> argv) {
  return InChild([&] {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execvp(args[0], args.data());
    return 127;
  });
}

class NullSink final : public LogSink {
 public:
  void Write(std::string_view, LogFd, std::string_view) override {}
  void Flush() override {}
};

RegistryConfig Config(const testing::OciRegistry& registry, size_t chunk) {
  return {.url = registry.url(),
          .username = kUser,
          .password = kPassword,
          .insecure = true,
          .chunk_size = chunk};
}

Measure AgentPush(const testing::OciRegistry& registry, const fs::path& file, size_t chunk,
                  const std::string& repo) {
  return InChild([&] {
    auto client = RegistryClient::Create(Config(registry, chunk));
    NullSink sink;
    auto r = PushArtifacts(**client,
                           {.workspace = file.parent_path(),
                            .paths = {file.filename().string()},
                            .repository = repo,
                            .job_id = "1"},
                           sink);
    if (!r) std::fprintf(stderr, "push failed: %s\n", r.error().message.c_str());
    return r ? 0 : 1;
  });
}

Measure AgentFetch(const testing::OciRegistry& registry, const std::string& repo,
                   const std::string& digest, const fs::path& out) {
  return InChild([&] {
    auto client = RegistryClient::Create(Config(registry, 8 << 20));
    auto s = (*client)->FetchBlob(repo, digest, out);
    return s ? 0 : 1;
  });
}

// An OCI layout holding one image whose only layer is `file` (hard-linked, not copied).
void WriteLayout(const fs::path& dir, const fs::path& file, const BlobDigest& layer) {
  const fs::path blobs = dir / "blobs/sha256";
  fs::create_directories(blobs);
  auto blob = [&](const std::string& content) {
    const BlobDigest d = DigestOf(content);
    testing::WriteFile(blobs / d.digest.substr(7), content);
    return d;
  };
  fs::create_hard_link(file, blobs / layer.digest.substr(7));
  const BlobDigest config =
      blob(R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" +
           layer.digest + R"("]}})");
  const std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      config.digest + R"(","size":)" + std::to_string(config.size) +
      R"(},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" +
      layer.digest + R"(","size":)" + std::to_string(layer.size) + "}]}";
  const BlobDigest m = blob(manifest);
  testing::WriteFile(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  testing::WriteFile(
      dir / "index.json",
      R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
          m.digest + R"(","size":)" + std::to_string(m.size) +
          R"(,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]})");
}

// POST for an upload URL with curl, then time `curl -T` of the whole blob to it.
Measure CurlPut(const testing::OciRegistry& registry, const fs::path& file,
                const std::string& digest, const std::string& repo) {
  const std::string creds = std::string(kUser) + ":" + kPassword;
  auto post = RunCommand({.argv = {"curl", "-s", "-D", "-", "-o", "/dev/null", "-u", creds, "-X",
                                   "POST", registry.url() + "/v2/" + repo + "/blobs/uploads/"}});
  std::string location;
  for (size_t p = 0; post && (p = post->out.find('\n', p)) != std::string::npos; ++p) {
    const std::string line = post->out.substr(p + 1, post->out.find('\n', p + 1) - p - 1);
    if (line.rfind("Location: ", 0) == 0) location = line.substr(10, line.find('\r') - 10);
  }
  return Exec({"curl", "-sf", "-u", creds, "-H", "Content-Type: application/octet-stream", "-T",
               file.string(), location + "&digest=" + digest});
}

// A copy of `base` made unique by a gzip member appended (still valid gzip data), so no push can
// reuse a blob an earlier one left (skopeo's blob-info cache would mount it instead).
fs::path Variant(const fs::path& base, const std::string& tag) {
  const fs::path out = base.parent_path() / ("artifact-" + tag + ".tar.gz");
  RunCommand({.argv = {"bash", "-c",
                       "{ cat '" + base.string() + "'; echo '" + tag + "' | gzip; } > '" +
                           out.string() + "'"}});
  return out;
}

double Median(std::vector<double> v) { return raibid::bench::Percentile(std::move(v), 50); }

struct Series {
  std::string name;
  std::vector<double> secs, rss;
  bool ok = true;
  void Add(const Measure& m) {
    secs.push_back(m.seconds);
    rss.push_back(m.rss_mib);
    ok = ok && m.ok;
  }
  void Print() const {
    std::printf("  %-44s %7.2f s  peak RSS %6.1f MiB%s\n", name.c_str(), Median(secs),
                *std::max_element(rss.begin(), rss.end()), ok ? "" : "  (FAILED)");
  }
};

int Main(int argc, char** argv) {
  const uint64_t mib = argc > 1 ? std::stoull(argv[1]) : 256;
  const int rounds = argc > 2 ? std::stoi(argv[2]) : 3;
  testing::TempDir dir("raibid-regbench");
  const fs::path ws = dir.path() / "ws", file = ws / "artifact.tar.gz";
  fs::create_directories(ws);
  RunCommand({.argv = {"bash", "-c",
                       "head -c " + std::to_string(mib << 20) + " /dev/urandom | gzip -1 > " +
                           file.string()}});
  testing::OciRegistry registry({.username = kUser, .password = kPassword});

  const size_t default_chunk = RegistryConfig{}.chunk_size;
  Series chunked{"agent PushArtifacts, default " + std::to_string(default_chunk >> 20) +
                 " MiB chunks"},
      small{"agent PushArtifacts, 8 MiB chunks"}, whole{"agent PushArtifacts, one PUT"},
      skopeo{"baseline: skopeo copy oci: -> docker://"}, curl{"baseline: curl -T (blob PUT only)"},
      fetch{"agent FetchBlob (verifying the digest)"},
      curl_get{"baseline: curl -o of the blob URL"};
  auto push = [&](Series& series, const std::string& tag, auto run) {
    const fs::path v = Variant(file, tag);
    series.Add(run(v, "bench/" + tag));
    fs::remove(v);
  };
  std::string fetch_digest;
  for (int r = 0; r < rounds; ++r) {
    const std::string n = std::to_string(r);
    push(chunked, "default-" + n, [&](const fs::path& v, const std::string& repo) {
      return AgentPush(registry, v, default_chunk, repo);
    });
    push(small, "small-" + n, [&](const fs::path& v, const std::string& repo) {
      return AgentPush(registry, v, 8 << 20, repo);
    });
    push(whole, "whole-" + n, [&](const fs::path& v, const std::string& repo) {
      const Measure m = AgentPush(registry, v, size_t{1} << 40, repo);
      if (r == 0) fetch_digest = DigestFile(v)->digest;  // downloaded below
      return m;
    });
    push(skopeo, "skopeo-" + n, [&](const fs::path& v, const std::string& repo) {
      const fs::path layout = dir.path() / ("layout-" + n);
      WriteLayout(layout, v, *DigestFile(v));
      Measure m = Exec({"skopeo", "copy", "--quiet", "--preserve-digests",
                        "--dest-tls-verify=false", "--dest-creds",
                        std::string(kUser) + ":" + kPassword, "oci:" + layout.string() + ":bench",
                        "docker://" + registry.host() + "/" + repo + ":bench"});
      fs::remove_all(layout);
      return m;
    });
    push(curl, "curl-" + n, [&](const fs::path& v, const std::string& repo) {
      return CurlPut(registry, v, DigestFile(v)->digest, repo);
    });
    fetch.Add(AgentFetch(registry, "bench/whole-0", fetch_digest, dir.path() / "fetched"));
    curl_get.Add(Exec({"curl", "-sfL", "-u", std::string(kUser) + ":" + kPassword, "-o",
                       (dir.path() / "fetched-curl").string(),
                       registry.url() + "/v2/bench/whole-0/blobs/" + fetch_digest}));
  }
  std::printf("registry_bench: %llu MiB artifact, local docker-registry, median of %d rounds\n",
              static_cast<unsigned long long>(mib), rounds);
  for (const Series* s : {&chunked, &small, &whole, &skopeo, &curl, &fetch, &curl_get}) s->Print();
  const double push_ratio = Median(chunked.secs) / Median(skopeo.secs);
  const double peak = std::max(*std::max_element(chunked.rss.begin(), chunked.rss.end()),
                               *std::max_element(fetch.rss.begin(), fetch.rss.end()));
  const double fetch_ratio = Median(fetch.secs) / Median(curl_get.secs);
  std::printf("  push (default chunks) / skopeo copy: %.2fx (goal <= 1.1x): %s\n", push_ratio,
              bench::Verdict(push_ratio <= 1.1));
  std::printf("  agent peak RSS: %.1f MiB (goal <= 64 MiB): %s\n", peak,
              bench::Verdict(peak <= 64));
  std::printf("  download / curl: %.2fx (goal <= 1.1x): %s\n", fetch_ratio,
              bench::Verdict(fetch_ratio <= 1.1));
  return chunked.ok && small.ok && whole.ok && fetch.ok ? 0 : 1;
}

}  // namespace
}  // namespace raibid

int main(int argc, char** argv) { return raibid::Main(argc, argv); }
