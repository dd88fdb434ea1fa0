// The docker executor on a real Podman service (the machine's own image storage, so the Rust image
// is built once and kept):
//  1. per-step overhead: a trivial step (`true`) through the executor's session, against the same
//     exec done with `podman exec` on the same container (goal: <= 1.1x), against the raw engine
//     API exec (create + start + inspect, the floor), and against the `shell` executor;
//  2. a job's container set-up and tear-down, image present, against `podman run --rm IMAGE true`;
//  3. a real Rust build (serde + serde_json, vendored) in an image with Debian's Rust toolchain
//     (scripts/image.sh rust-builder makes it once), against `podman run` of the same build and
//     the `shell` executor (the host's toolchain, a different rustc: reported as such).
#include <cstdio>
#include <cstring>

#include <spdlog/spdlog.h>

#include "bench_util.h"
#include "executor/docker_executor.h"
#include "executor/shell_executor.h"
#include "process/reaper.h"
#include "process/run_command.h"
#include "rust_crate.h"
#include "support/podman_service.h"
#include "support/temp_dir.h"

using namespace raibid;

namespace {

constexpr const char* kImage = "localhost/raibid-bb:bench";
constexpr const char* kRustImage = "localhost/raibid/rust-bench:1.63.0";

class NullSink final : public LogSink {
 public:
  void Write(std::string_view, LogFd fd, std::string_view data) override {
    if (fd != LogFd::kSys) bytes += data.size();
    last.assign(data);
  }
  void Flush() override {}
  size_t bytes = 0;
  std::string last;
};

double Ms(double micros) { return micros / 1000.0; }

template <typename F>
std::vector<double> Time(int n, F&& f) {
  std::vector<double> ms;
  for (int i = 0; i < n; ++i) {
    const double t0 = bench::NowMicros();
    f();
    ms.push_back(Ms(bench::NowMicros() - t0));
  }
  return ms;
}

StepOutcome Step(JobSession& session, const std::filesystem::path& ws, const std::string& script,
                 LogSink& sink) {
  JobDeadline deadline(std::chrono::steady_clock::now(), std::chrono::minutes(30), Millis(0));
  StopSource stop;
  return session.RunStep({.name = "s", .script = script, .workdir = ws}, sink, deadline, stop);
}

void WriteCrate(const std::filesystem::path& dir) {
  testing::WriteFile(dir / "Cargo.toml", bench::kCargoToml);
  testing::WriteFile(dir / ".cargo/config.toml", bench::kCargoConfig);
  testing::WriteFile(dir / "src/main.rs", bench::MainRs(1));
}

std::vector<std::string> PodmanArgv(const testing::PodmanService& engine,
                                    std::vector<std::string> args) {
  std::vector<std::string> argv = {"env"};
  for (const auto& e : engine.Env()) argv.push_back(e);
  argv.push_back("podman");
  for (const auto& f : engine.StorageFlags()) argv.push_back(f);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

bool RunOk(const std::vector<std::string>& argv,
           std::chrono::seconds timeout = std::chrono::seconds(60)) {
  auto r = RunCommand({.argv = argv, .timeout = timeout});
  if (!r || !r->ok()) {
    std::fprintf(stderr, "failed: %s: %s\n", argv.back().c_str(),
                 r ? r->err.c_str() : r.error().message.c_str());
    return false;
  }
  return true;
}

void RustBuild(testing::PodmanService& engine, DockerExecutor& docker,
               const std::filesystem::path& dir, const std::filesystem::path& reaper) {
  if (!RunOk(PodmanArgv(engine, {"image", "exists", kRustImage}))) {
    std::printf("making %s once (scripts/image.sh rust-builder) ...\n", kRustImage);
    std::fflush(stdout);
    if (!RunOk({"bash", std::string(RAIBID_SOURCE_DIR) + "/scripts/image.sh", "rust-builder"},
               std::chrono::seconds(1800))) {
      std::printf("3. Rust build: skipped, the image could not be made here\n");
      return;
    }
  }
  // Through the executor: a fresh container, a cold build.
  const auto ws = dir / "rust-docker";
  WriteCrate(ws);
  NullSink sink;
  StopSource stop;
  double executor_s = -1;
  {
    const double t0 = bench::NowMicros();
    auto session =
        docker.Begin({.job_id = "bench-rust", .workspace = ws, .image = kRustImage}, sink, stop);
    if (!session) {
      std::printf("3. Rust build: %s\n", session.error().message.c_str());
      return;
    }
    auto outcome = Step(**session, ws, "cargo build --offline && ./target/debug/bench-app", sink);
    session->reset();
    executor_s = (bench::NowMicros() - t0) / 1e6;
    if (outcome.result != StepResult::kSucceeded) {
      std::printf("3. Rust build failed in the container: %s (%s)\n", outcome.message.c_str(),
                  sink.last.c_str());
      return;
    }
  }
  // The same build with `podman run --rm`, the same image and toolchain.
  const auto ws2 = dir / "rust-podman";
  WriteCrate(ws2);
  double t0 = bench::NowMicros();
  const bool ran =
      RunOk(PodmanArgv(engine, {"run", "--rm", "--network", "none", "-v",
                                ws2.string() + ":/workspace", "-w", "/workspace", kRustImage, "sh",
                                "-c", "cargo build --offline && ./target/debug/bench-app"}),
            std::chrono::seconds(1800));
  const double podman_s = ran ? (bench::NowMicros() - t0) / 1e6 : -1;
  // The shell executor with the host's toolchain (rustup's, newer than Debian's 1.63).
  const std::string path =
      std::string(std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin") +
      ":/root/.cargo/bin";
  setenv("PATH", path.c_str(), 1);
  double shell_s = -1;
  std::string host_rustc = "not installed";
  if (auto v = RunCommand({.argv = {"rustc", "--version"}}); v && v->ok()) {
    host_rustc = v->out.substr(0, v->out.find('\n'));
    const auto ws3 = dir / "rust-shell";
    WriteCrate(ws3);
    ShellExecutor shell(reaper);
    auto session = shell.Begin({.job_id = "bench-rust-shell", .workspace = ws3}, sink, stop);
    t0 = bench::NowMicros();
    auto outcome = Step(**session, ws3, "cargo build --offline && ./target/debug/bench-app", sink);
    if (outcome.result == StepResult::kSucceeded) shell_s = (bench::NowMicros() - t0) / 1e6;
  }
  std::printf("3. cold Rust build (serde + serde_json, vendored), %s, Debian's rustc 1.63\n",
              kRustImage);
  std::printf("  docker executor (container set-up, build, removal)   %7.2f s\n", executor_s);
  std::printf("  baseline: podman run --rm, same image and build      %7.2f s   (%.2fx)\n",
              podman_s, executor_s / podman_s);
  std::printf("  shell executor, host toolchain (%s)  %7.2f s   (not the same compiler)\n",
              host_rustc.c_str(), shell_s);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], kReaperArg) == 0) return RunReaperMain(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  if (!testing::PodmanAvailable()) {
    std::printf("docker_bench: podman, runc or busybox-static is not installed; skipped\n");
    return 0;
  }
  const bool skip_rust = argc > 1 && std::strcmp(argv[1], "--no-rust") == 0;
  testing::PodmanService engine({.machine_storage = true});
  engine.MakeBusyboxImage(kImage);
  auto docker = DockerExecutor::Create({.host = engine.host(), .agent_name = "bench"});
  if (!docker) {
    std::fprintf(stderr, "%s\n", docker.error().message.c_str());
    return 1;
  }
  (void)(*docker)->RemoveLeftovers();
  testing::TempDir dir("raibid-docker-bench");
  const auto ws = dir.path() / "ws";
  std::filesystem::create_directories(ws);
  NullSink sink;
  StopSource stop;
  const auto reaper =
      std::filesystem::path(RAIBID_AGENT_BINARY).parent_path() / "raibid-agent-reaper";

  // 1. Per-step overhead.
  auto session =
      (*docker)->Begin({.job_id = "bench-steps", .workspace = ws, .image = kImage}, sink, stop);
  if (!session) {
    std::fprintf(stderr, "%s\n", session.error().message.c_str());
    return 1;
  }
  const int n = 40;
  Time(3, [&] { Step(**session, ws, "true", sink); });
  const auto executor_ms = Time(n, [&] { Step(**session, ws, "true", sink); });
  std::string cid;
  if (auto ps = RunCommand({.argv = PodmanArgv(engine, {"ps", "-q", "--no-trunc", "--filter",
                                                        "label=raibid.job=bench-steps"})});
      ps && ps->ok()) {
    cid = ps->out.substr(0, ps->out.find('\n'));
  }
  const auto podman_exec = [&] {
    RunOk(PodmanArgv(engine, {"exec", cid, "/bin/sh", "-c", "true"}));
  };
  const auto podman_exec_ms = Time(n, podman_exec);
  EngineClient api(*ParseEngineHost(engine.host()));
  const auto api_ms = Time(n, [&] {
    auto id = api.CreateExec(cid, {.cmd = {"/bin/sh", "-c", "true"}});
    if (id) (void)api.StartExec(*id, [](MuxStream, std::string_view) {});
    if (id) (void)api.InspectExec(*id);
  });
  ShellExecutor shell(reaper);
  auto shell_session = shell.Begin({.job_id = "bench-shell", .workspace = ws}, sink, stop);
  const auto shell_ms = Time(n, [&] { Step(**shell_session, ws, "true", sink); });
  session->reset();
  const double ratio = bench::Percentile(executor_ms, 50) / bench::Percentile(podman_exec_ms, 50);
  std::printf("1. per-step overhead, step `true`, %d steps each (p50 / p90 ms)\n", n);
  std::printf("  docker executor step                 %7.1f / %7.1f\n",
              bench::Percentile(executor_ms, 50), bench::Percentile(executor_ms, 90));
  std::printf("  baseline: podman exec, same container %7.1f / %7.1f\n",
              bench::Percentile(podman_exec_ms, 50), bench::Percentile(podman_exec_ms, 90));
  std::printf("  engine API exec alone (the floor)     %7.1f / %7.1f\n",
              bench::Percentile(api_ms, 50), bench::Percentile(api_ms, 90));
  std::printf("  shell executor step                   %7.1f / %7.1f\n",
              bench::Percentile(shell_ms, 50), bench::Percentile(shell_ms, 90));
  std::printf("  result: %.2fx podman exec (goal <= 1.1x: %s)\n", ratio,
              bench::Verdict(ratio <= 1.1));

  // 2. Container set-up and tear-down, image present.
  const int m = 8;
  const auto setup_ms = Time(m, [&] {
    auto s =
        (*docker)->Begin({.job_id = "bench-setup", .workspace = ws, .image = kImage}, sink, stop);
    if (s) s->reset();
  });
  const auto podman_run = [&] {
    RunOk(PodmanArgv(engine, {"run", "--rm", "--network", "none", kImage, "true"}));
  };
  const auto run_ms = Time(m, podman_run);
  std::printf("2. a job's container set-up + tear-down, image present, %d jobs (p50 / p90 ms)\n",
              m);
  std::printf("  docker executor (create, start, remove) %7.1f / %7.1f\n",
              bench::Percentile(setup_ms, 50), bench::Percentile(setup_ms, 90));
  std::printf("  baseline: podman run --rm IMAGE true    %7.1f / %7.1f\n",
              bench::Percentile(run_ms, 50), bench::Percentile(run_ms, 90));

  if (!skip_rust) RustBuild(engine, **docker, dir.path(), reaper);
  return 0;
}
