// A real Rust crate (serde + serde_json from Debian's vendored crates, no network) built through
// the agent twice: a cold build, then a warm one at the next commit (a source file changed) that
// restores target/ and CARGO_HOME from the cache. Goal: the warm build at least 3x faster.
// Baseline from the same run: the cold build itself, and plain `cargo build` of the same crate.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

#include "bench_util.h"
#include "process/reaper.h"
#include "process/run_command.h"
#include "rust_crate.h"
#include "support/agent_harness.h"
#include "support/git_repo.h"

using namespace raibid;
using bench::kCargoConfig;
using bench::kCargoToml;
using bench::MainRs;

namespace {

double StepSeconds(testing::AgentHarness& h, const std::string& id) {
  const std::string steps = h.Field(id, "steps");
  const auto pos = steps.find("\"duration_ms\":");
  return pos == std::string::npos ? -1 : std::stod(steps.substr(pos + 14)) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], kReaperArg) == 0) return RunReaperMain(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  const std::string path =
      std::string(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin") +
      ":/root/.cargo/bin:" + (std::getenv("HOME") ? std::getenv("HOME") : "") + "/.cargo/bin";
  setenv("PATH", path.c_str(), 1);
  if (!RunCommand({.argv = {"cargo", "--version"}}).value_or(CommandResult{.exit_code = 1}).ok()) {
    std::printf("cargo_bench: cargo is not installed here; skipped\n");
    return 0;
  }
  testing::TempDir repos("raibid-bench-cargo");
  testing::GitRepo repo(repos.path() / "acme" / "app.git");
  repo.Commit({{"Cargo.toml", kCargoToml},
               {".cargo/config.toml", kCargoConfig},
               {"src/main.rs", MainRs(1)},
               {".raibid.yaml",
                "language: rust\nsteps:\n  - name: build\n    command: cargo build --offline && "
                "./target/debug/bench-app\n"}});
  (void)RunCommand({.argv = {"cargo", "generate-lockfile", "--offline"}, .cwd = repo.path()});
  repo.Commit({{"Cargo.lock", testing::ReadFile(repo.path() / "Cargo.lock")}}, "lock");

  // Plain cargo, for reference: a cold build in a fresh copy.
  const auto plain = repos.path() / "plain";
  (void)RunCommand({.argv = {"git", "clone", "-q", repo.path().string(), plain.string()}});
  const double t0 = bench::NowMicros();
  (void)RunCommand({.argv = {"cargo", "build", "--offline"}, .cwd = plain});
  const double plain_cold = (bench::NowMicros() - t0) / 1e6;

  testing::AgentHarness h({.git_base_url = "file://" + repos.path().string()});
  h.Enqueue(R"({"job_id": "cold", "repository": "acme/app", "branch": "main"})");
  if (h.WaitFinal("cold", std::chrono::minutes(10)) != "succeeded") {
    std::fprintf(stderr, "cold build failed: %s\n%s\n", h.Field("cold", "error").c_str(),
                 h.Log("cold").c_str());
    return 1;
  }
  repo.Commit({{"src/main.rs", MainRs(2)}}, "change");
  h.Enqueue(R"({"job_id": "warm", "repository": "acme/app", "branch": "main"})");
  if (h.WaitFinal("warm", std::chrono::minutes(10)) != "succeeded") {
    std::fprintf(stderr, "warm build failed: %s\n", h.Field("warm", "error").c_str());
    return 1;
  }
  const double cold = StepSeconds(h, "cold"), warm = StepSeconds(h, "warm");
  const bool warm_hit =
      h.Field("warm", "cache").find("\"result\":\"hit\"") != std::string::npos ||
      h.Field("warm", "cache").find("\"result\":\"fallback\"") != std::string::npos;
  std::printf(
      "cargo build through the agent, serde + serde_json crate, vendored (goal: warm >= 3x "
      "faster)\n");
  std::printf("  cold (cache miss)                     %7.2f s   cache %s\n", cold,
              h.Field("cold", "cache").c_str());
  std::printf("  warm (next commit, cache restored)    %7.2f s   cache %s\n", warm,
              h.Field("warm", "cache").c_str());
  std::printf("  hit rate                              %d of 2 jobs\n", warm_hit ? 1 : 0);
  std::printf("baseline measured in this run:\n");
  std::printf("  plain cargo build, cold               %7.2f s\n", plain_cold);
  std::printf("result: warm build %.1fx faster (%s)\n", cold / warm,
              bench::Verdict(cold / warm >= 3));
  return 0;
}
