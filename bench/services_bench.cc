// A service's readiness on the docker executor (a real Podman service, the machine's storage):
// the time from the service's port opening to the job's first step starting (goal <= 50 ms),
// beside a shell loop polling the same kind of port through `podman exec` in the same run.
// Both sides take wall-clock stamps from bash's $EPOCHREALTIME (containers share the host's
// clock): the service stamps just before it execs httpd, the step as its first command, the
// loop when its `podman exec wget` first succeeds.
#include <chrono>
#include <cstdio>
#include <cstring>

#include <spdlog/spdlog.h>

#include "bench_util.h"
#include "executor/docker_executor.h"
#include "process/reaper.h"
#include "process/run_command.h"
#include "support/podman_service.h"
#include "support/recording_sink.h"
#include "support/temp_dir.h"

using namespace raibid;

namespace {

constexpr const char* kImage = "localhost/raibid-bash:bench";
constexpr const char* kOpen = "sleep 1; echo OPEN $EPOCHREALTIME; exec httpd -f -p 8080 -h /etc";

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The number after `tag` in `text`; 0 when absent.
double After(const std::string& text, const std::string& tag) {
  const size_t at = text.find(tag);
  return at == std::string::npos ? 0 : std::strtod(text.c_str() + at + tag.size(), nullptr);
}

// Port open -> first step started, through the executor; milliseconds.
double ThroughExecutor(DockerExecutor& docker, const std::filesystem::path& ws, int i) {
  testing::RecordingSink sink;
  StopSource stop;
  JobEnvironment job{.job_id = "svc-bench-" + std::to_string(i), .workspace = ws, .image = kImage};
  job.services = {{.name = "web",
                   .image = kImage,
                   .command = {"/bin/bash", "-c", kOpen},
                   .ready_port = 8080,
                   .ready_timeout_seconds = 30}};
  auto session = docker.Begin(job, sink, stop);
  if (!session) {
    std::fprintf(stderr, "%s\n", session.error().message.c_str());
    return -1;
  }
  JobDeadline deadline(std::chrono::steady_clock::now(), std::chrono::minutes(5), Millis(0));
  (void)(*session)->RunStep({.name = "s", .script = "echo STEP $EPOCHREALTIME", .workdir = ws},
                            sink, deadline, stop);
  session->reset();
  const std::string text = sink.Text(LogFd::kOut);
  return (After(text, "STEP ") - After(text, "OPEN ")) * 1000;
}

// Port open -> a host loop of `podman exec CID wget ...` sees it; milliseconds.
double ThroughPodmanExec(const testing::PodmanService& engine, const std::string& cid,
                         const std::filesystem::path& ws) {
  engine.Podman({"exec", "-d", cid, "/bin/bash", "-c",
                 "sleep 1; echo $EPOCHREALTIME > /workspace/opened; exec httpd -f -p 8081 -h "
                 "/etc"});
  std::vector<std::string> probe = {"env"};
  for (const auto& e : engine.Env()) probe.push_back(e);
  probe.push_back("podman");
  for (const auto& f : engine.StorageFlags()) probe.push_back(f);
  probe.insert(probe.end(),
               {"exec", cid, "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8081/passwd"});
  while (true) {
    auto r = RunCommand({.argv = probe});
    if (r && r->ok()) break;
  }
  const double seen = WallSeconds();
  return (seen - std::strtod(testing::ReadFile(ws / "opened").c_str(), nullptr)) * 1000;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], kReaperArg) == 0) return RunReaperMain(argc, argv);
  spdlog::set_level(spdlog::level::warn);
  if (!testing::PodmanAvailable()) {
    std::printf("services_bench: podman, runc or busybox-static is not installed; skipped\n");
    return 0;
  }
  testing::PodmanService engine({.machine_storage = true});
  engine.MakeBashImage(kImage);
  auto docker = DockerExecutor::Create({.host = engine.host(), .agent_name = "svc-bench"});
  if (!docker) return 1;
  (void)(*docker)->RemoveLeftovers();
  testing::TempDir dir("raibid-services-bench");
  const auto ws = dir.path() / "ws";
  std::filesystem::create_directories(ws);
  const int n = 5;
  std::vector<double> executor_ms, exec_ms;
  for (int i = 0; i < n; ++i) executor_ms.push_back(ThroughExecutor(**docker, ws, i));
  // The loop's container: a job's, so the same image, namespace set-up and limits.
  testing::RecordingSink sink;
  StopSource stop;
  for (int i = 0; i < n; ++i) {
    auto session = (*docker)->Begin(
        {.job_id = "svc-loop-" + std::to_string(i), .workspace = ws, .image = kImage}, sink, stop);
    if (!session) return 1;
    std::string cid = engine.Podman(
        {"ps", "-q", "--no-trunc", "--filter", "label=raibid.job=svc-loop-" + std::to_string(i)});
    cid = cid.substr(0, cid.find('\n'));
    exec_ms.push_back(ThroughPodmanExec(engine, cid, ws));
  }
  const double median = bench::Percentile(executor_ms, 50);
  std::printf(
      "port open -> first step started (docker executor, %d jobs): median %.1f ms, max %.1f ms\n",
      n, median, bench::Percentile(executor_ms, 100));
  std::printf(
      "port open -> seen by a `podman exec wget` loop (%d runs): median %.1f ms, max %.1f ms\n", n,
      bench::Percentile(exec_ms, 50), bench::Percentile(exec_ms, 100));
  std::printf("goal <= 50 ms: %s\n", bench::Verdict(median <= 50));
  return 0;
}
