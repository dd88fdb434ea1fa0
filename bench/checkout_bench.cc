// How fast a job's workspace is made from a warm mirror, against the ways git offers.
//
// Makes (once, then reuses) a repository in /tmp whose history packs to over 20 MB of
// incompressible content, then times, each as the median of several runs:
//   git clone file://             the baseline: the remote packs everything again
//   git clone --reference MIRROR  objects borrowed, but the remote still negotiated
//   git clone --shared MIRROR     objects borrowed from the mirror, refs copied, origin re-pointed
//   git worktree add              a work tree of the mirror itself
//   init + alternates + checkout  what source/workspace.cc does
//   SourceCache::Checkout         the whole thing, by full SHA (no fetch) and by branch (fetch)
// Goals: checkout/clone <= 0.5 and checkout/clone--reference <= 1.2.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "source/git_runner.h"
#include "source/repository_url.h"
#include "source/source_cache.h"
#include "source/workspace.h"
#include "support/git_repo.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using raibid::testing::GitRepo;
using raibid::testing::RunGit;

constexpr int kRuns = 7;
constexpr int kFiles = 100;
constexpr int kCommits = 40;
constexpr int kFilesPerCommit = 8;
constexpr size_t kFileBytes = 64 * 1024;
const fs::path kBase = "/tmp/raibid-checkout-bench";

class NullSink : public raibid::LogSink {
 public:
  void Write(std::string_view, raibid::LogFd, std::string_view) override {}
  void Flush() override {}
};

// Incompressible bytes: xorshift64, seeded per file and commit.
std::string RandomContent(uint64_t seed) {
  uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
  std::string out(kFileBytes, '\0');
  for (size_t i = 0; i < out.size(); i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    for (size_t b = 0; b < 8 && i + b < out.size(); ++b) {
      out[i + b] = static_cast<char>(x >> (8 * b));
    }
  }
  return out;
}

fs::path MakeRepository() {
  fs::path path = kBase / "repo";
  fs::path ready = kBase / "repo.ready-v1";
  if (fs::exists(ready)) return path;
  std::printf("creating %s ...\n", path.c_str());
  fs::remove_all(path);
  GitRepo repo(path);
  std::map<std::string, std::string> files;
  for (int f = 0; f < kFiles; ++f) files["data/f" + std::to_string(f)] = RandomContent(f);
  repo.Commit(files, "initial");
  for (int c = 1; c <= kCommits; ++c) {
    files.clear();
    for (int k = 0; k < kFilesPerCommit; ++k) {
      int f = (c * kFilesPerCommit + k) % kFiles;
      files["data/f" + std::to_string(f)] = RandomContent(c * 1000 + f);
    }
    repo.Commit(files, "commit " + std::to_string(c));
  }
  repo.Git({"repack", "-a", "-d", "-q"});
  raibid::testing::WriteFile(ready, "");
  return path;
}

double PackMegabytes(const fs::path& repo) {
  uintmax_t bytes = 0;
  for (const auto& e : fs::directory_iterator(repo / ".git" / "objects" / "pack")) {
    if (e.path().extension() == ".pack") bytes += e.file_size();
  }
  return static_cast<double>(bytes) / (1024 * 1024);
}

// One way of making a workspace at `dst` from the warm mirror; throws if it fails.
struct Method {
  std::string name;
  std::function<void(const fs::path& dst)> run;
  std::vector<double> ms;

  double median() const {
    std::vector<double> sorted = ms;
    std::sort(sorted.begin(), sorted.end());
    return sorted[sorted.size() / 2];
  }
};

// Runs every method once per round, round after round, so that the load other processes put on
// the machine meanwhile falls on all of them alike. Round 0 warms up and is not counted; each
// workspace is removed after its run, outside the timing.
void MeasureInterleaved(const fs::path& scratch, std::vector<Method>& methods) {
  for (int round = 0; round <= kRuns; ++round) {
    for (size_t m = 0; m < methods.size(); ++m) {
      fs::path dst = scratch / ("w" + std::to_string(round) + "-" + std::to_string(m));
      auto start = std::chrono::steady_clock::now();
      methods[m].run(dst);
      auto elapsed = std::chrono::steady_clock::now() - start;
      if (round > 0)
        methods[m].ms.push_back(std::chrono::duration<double, std::milli>(elapsed).count());
      fs::remove_all(dst);
    }
  }
}

void Check(const raibid::Result<raibid::CheckoutResult>& r) {
  if (!r) throw std::runtime_error(r.error().message);
}

std::vector<Method> Methods(const fs::path& tmp, const std::string& url, const std::string& sha,
                            const fs::path& mirror, raibid::SourceCache& cache,
                            raibid::GitRunner& runner) {
  static NullSink sink;
  std::string git_dir = "--git-dir=" + mirror.string();
  return {
      {"git clone file://",
       [=](auto& d) {
         RunGit(tmp, {"clone", "-q", url, d.string()});  // the plain clone every CI starts from
       }},
      {"git clone --reference mirror",
       [=](auto& d) {
         RunGit(tmp, {"clone", "-q", "--reference", mirror.string(), url, d.string()});
       }},
      {"git clone --shared mirror",
       [=](auto& d) {
         RunGit(tmp, {"clone", "-q", "--shared", "--no-checkout", mirror.string(), d.string()});
         RunGit(d, {"remote", "set-url", "origin", url});
         RunGit(d, {"-c", "advice.detachedHead=false", "checkout", "-q", "--detach", sha});
       }},
      {"git worktree add",
       [=](auto& d) {
         RunGit(tmp, {git_dir, "worktree", "add", "-q", "--detach", d.string(), sha});
       }},
      {"init + alternates + checkout",
       [=, &runner](auto& d) {
         auto made = raibid::CreateWorkspace(runner, {d, mirror, url, sha});
         if (!made) throw std::runtime_error(made.error().error.message);
       }},
      {"SourceCache::Checkout (full SHA)",
       [=, &cache](auto& d) {
         Check(cache.Checkout({.url = url, .commit = sha, .workspace = d}, sink));
       }},
      {"SourceCache::Checkout (branch)",
       [=, &cache](auto& d) {
         Check(cache.Checkout({.url = url, .branch = "main", .workspace = d}, sink));
       }},
  };
}

void PrintTable(const std::vector<Method>& methods) {
  std::printf("%-36s %12s   (median of %d runs)\n", "method", "ms", kRuns);
  for (const Method& m : methods) std::printf("%-36s %12.1f\n", m.name.c_str(), m.median());
  double clone = methods[0].median(), reference = methods[1].median();
  double by_sha = methods[5].median(), by_branch = methods[6].median();
  std::printf("\n%-46s %6s %6s  %s\n", "ratio", "SHA", "branch", "goal");
  std::printf("%-46s %6.2f %6.2f  <= 0.5\n", "SourceCache::Checkout / git clone", by_sha / clone,
              by_branch / clone);
  std::printf("%-46s %6.2f %6.2f  <= 1.2\n", "SourceCache::Checkout / git clone --reference",
              by_sha / reference, by_branch / reference);
}

int Run() {
  fs::path repo_path = MakeRepository();
  std::string url = "file://" + repo_path.string();
  std::string sha = RunGit(repo_path, {"rev-parse", "HEAD"}).substr(0, 40);
  raibid::testing::TempDir scratch("raibid-checkout-bench");
  fs::path cache_root = scratch.path() / "cache";
  raibid::SourceCache cache(cache_root, std::nullopt);
  NullSink sink;
  auto warm =
      cache.Checkout({.url = url, .branch = "main", .workspace = scratch.path() / "warm"}, sink);
  if (!warm) throw std::runtime_error("warm-up checkout failed: " + warm.error().message);
  fs::path mirror = cache_root / raibid::MirrorDirName(url);
  raibid::GitRunner runner(scratch.path() / "home", std::nullopt, std::chrono::minutes(5));
  std::printf("repository: %s, pack %.1f MB, %d files of %zu KiB at the tip\n\n", repo_path.c_str(),
              PackMegabytes(repo_path), kFiles, kFileBytes / 1024);
  std::vector<Method> methods = Methods(scratch.path(), url, sha, mirror, cache, runner);
  MeasureInterleaved(scratch.path(), methods);
  RunGit(scratch.path(), {"--git-dir=" + mirror.string(), "worktree", "prune"});
  PrintTable(methods);
  return 0;
}

}  // namespace

int main() {
  try {
    return Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "checkout_bench: %s\n", e.what());
    return 1;
  }
}
