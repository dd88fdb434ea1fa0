// Independent steps at the same time: the job time of two independent 1-second steps
// (`depends_on: []`), goal <= 1.2 s, beside the same two steps run in sequence in the same run.
// The job time is the job hash's started_at to finished_at (checkout included), as a user sees it.
#include <time.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include <spdlog/spdlog.h>

#include "bench_util.h"
#include "process/reaper.h"
#include "support/agent_harness.h"
#include "support/git_repo.h"

using namespace raibid;

namespace {

constexpr int kRounds = 5;

// "2026-12-06T19:15:01.254Z" -> seconds since the epoch.
double Rfc3339Seconds(const std::string& text) {
  std::tm tm{};
  const char* rest = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return -1;
  const double ms = *rest == '.' ? std::atof(rest + 1) : 0;
  return static_cast<double>(timegm(&tm)) + ms / 1000.0;
}

std::string TwoSteps(const std::string& id, const std::string& sha, bool independent) {
  const std::string deps = independent ? R"("depends_on": [], )" : "";
  return R"({"job_id": ")" + id + R"(", "repository": "acme/app", "commit": ")" + sha +
         R"(", "pipeline": {"steps": [{"name": "one", )" + deps +
         R"("command": "sleep 1"}, {"name": "two", )" + deps + R"("command": "sleep 1"}]}})";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], kReaperArg) == 0) return RunReaperMain(argc, argv);
  testing::TempDir repos("raibid-bench-repos");
  testing::GitRepo repo(repos.path() / "acme" / "app.git");
  const std::string sha = repo.Commit({{"README", "bench\n"}});
  spdlog::set_level(spdlog::level::warn);
  testing::AgentHarness h(
      {.git_base_url = "file://" + repos.path().string(),
       .reaper = std::filesystem::path(RAIBID_AGENT_BINARY).parent_path() / "raibid-agent-reaper"});
  h.Enqueue(bench::StampJobJson("warm", sha));  // the mirror: every job below checks out warm
  if (h.WaitFinal("warm") != "succeeded") {
    std::fprintf(stderr, "warm-up job failed: %s\n", h.Field("warm", "error").c_str());
    return 1;
  }
  std::vector<double> parallel, sequence;
  for (int round = 0; round < kRounds; ++round) {
    for (const bool independent : {true, false}) {
      const std::string id = (independent ? "par-" : "seq-") + std::to_string(round);
      h.Enqueue(TwoSteps(id, sha, independent));
      if (h.WaitFinal(id, std::chrono::seconds(60)) != "succeeded") {
        std::fprintf(stderr, "job %s failed: %s\n", id.c_str(), h.Field(id, "error").c_str());
        return 1;
      }
      const double took =
          Rfc3339Seconds(h.Field(id, "finished_at")) - Rfc3339Seconds(h.Field(id, "started_at"));
      (independent ? parallel : sequence).push_back(took);
    }
  }
  std::printf(
      "parallel steps: two 1-second steps, %d jobs each, job time (started_at to "
      "finished_at)\n",
      kRounds);
  std::printf("  %-34s p50 %6.3f s   max %6.3f s   (goal <= 1.2 s)\n",
              "independent (depends_on: [])", bench::Percentile(parallel, 50),
              bench::Percentile(parallel, 100));
  std::printf("  %-34s p50 %6.3f s   max %6.3f s   (baseline)\n", "in sequence",
              bench::Percentile(sequence, 50), bench::Percentile(sequence, 100));
  return 0;
}
