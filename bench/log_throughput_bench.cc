// How much the shell executor's output path costs: a step writing 1 GiB to stdout through
// ShellExecutor into a sink that, like the real one past its size limit, counts bytes and keeps
// nothing, against the same command writing to /dev/null under plain `bash -c`.
// Goals: ratio <= 1.3x, peak RSS of this process <= 64 MiB.
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "executor/shell_executor.h"
#include "process/reaper.h"
#include "process/run_command.h"

namespace raibid {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kBytes = uint64_t{1} << 30;
constexpr int kRounds = 3;

class CountingSink final : public LogSink {
 public:
  void Write(std::string_view, LogFd fd, std::string_view data) override {
    if (fd == LogFd::kOut) out_bytes += data.size();
    ++writes;
  }
  void Flush() override {}
  uint64_t out_bytes = 0;
  uint64_t writes = 0;
};

// CPU time (user + system) this process has used so far: the agent's share of the work.
double CpuSeconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

struct ExecutorRun {
  double wall = 0;
  double agent_cpu = 0;
  uint64_t writes = 0;
};

std::string Producer() { return "head -c " + std::to_string(kBytes) + " /dev/zero"; }

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double TimeBash(const std::string& script) {
  const auto start = Clock::now();
  auto r = RunCommand({.argv = {"bash", "-c", script}});
  if (!r || r->exit_code != 0) std::fprintf(stderr, "command failed: %s\n", script.c_str());
  return Seconds(Clock::now() - start);
}

ExecutorRun TimeExecutor(ShellExecutor& executor) {
  CountingSink sink;
  JobDeadline deadline(Clock::now(), std::chrono::hours(1), Millis(0));
  StopSource stop;
  StepSpec step{.name = "bench", .script = Producer(), .workdir = "/tmp"};
  const double cpu_start = CpuSeconds();
  const auto start = Clock::now();
  auto outcome = executor.RunStep(step, sink, deadline, stop);
  const ExecutorRun run{Seconds(Clock::now() - start), CpuSeconds() - cpu_start, sink.writes};
  if (outcome.result != StepResult::kSucceeded || sink.out_bytes != kBytes) {
    std::fprintf(stderr, "executor step failed: %s, %llu bytes\n", outcome.message.c_str(),
                 static_cast<unsigned long long>(sink.out_bytes));
  }
  return run;
}

std::string PeakRss() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return line.substr(6 + line.substr(6).find_first_not_of(" \t"));
  }
  return "unknown";
}

int Main() {
  ShellExecutor executor(std::filesystem::read_symlink("/proc/self/exe"));
  double best_baseline = 1e9, best_executor = 1e9, best_cpu = 1e9, best_pipe = 1e9;
  uint64_t writes = 0;
  for (int i = 0; i < kRounds; ++i) {
    const double b = TimeBash(Producer() + " > /dev/null");
    // Not the goal's baseline, a reference: what any reader of a default pipe costs.
    best_pipe = std::min(best_pipe, TimeBash(Producer() + " | cat > /dev/null"));
    const ExecutorRun e = TimeExecutor(executor);
    std::printf(
        "round %d: bash -c '... > /dev/null' %.3fs, ShellExecutor %.3fs (agent CPU %.3fs)\n", i + 1,
        b, e.wall, e.agent_cpu);
    best_baseline = std::min(best_baseline, b);
    best_executor = std::min(best_executor, e.wall);
    best_cpu = std::min(best_cpu, e.agent_cpu);
    writes = e.writes;
  }
  std::printf("log throughput, 1 GiB of stdout (best of %d)\n", kRounds);
  std::printf("  baseline  bash -c to /dev/null : %.3f s\n", best_baseline);
  std::printf("  reference bash -c '... | cat'  : %.3f s\n", best_pipe);
  std::printf("  ShellExecutor + counting sink  : %.3f s (%.0f MiB/s)\n", best_executor,
              1024.0 / best_executor);
  std::printf("  ratio                          : %.2fx (goal <= 1.3x)\n",
              best_executor / best_baseline);
  std::printf("  agent CPU for the GiB          : %.3f s, %llu sink writes (%.0f KiB each)\n",
              best_cpu, static_cast<unsigned long long>(writes),
              static_cast<double>(kBytes) / 1024.0 / static_cast<double>(writes));
  std::printf("  peak RSS (VmHWM)               : %s (goal <= 64 MiB)\n", PeakRss().c_str());
  return 0;
}

}  // namespace
}  // namespace raibid

int main(int argc, char** argv) {
  // The bench binary is its own reaper, as the agent binary is in production.
  if (argc > 1 && std::strcmp(argv[1], raibid::kReaperArg) == 0) {
    return raibid::RunReaperMain(argc, argv);
  }
  return raibid::Main();
}
