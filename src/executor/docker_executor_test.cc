// The docker executor against a real Podman service and images made by the test
// (tests/support/podman_service.h); registry pulls against a real docker-registry.
#include "executor/docker_executor.h"

#include <gtest/gtest.h>

#include <thread>

#include "support/oci_registry.h"
#include "support/podman_service.h"
#include "support/recording_sink.h"
#include "support/temp_dir.h"
#include "util/disk_usage.h"

namespace raibid {
namespace {

using testing::PodmanService;
using testing::RecordingSink;
using testing::TempDir;

constexpr const char* kImage = "localhost/raibid-bb:test";

class DockerExecutorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { podman_ = testing::SharedPodman(kImage); }
  void SetUp() override {
    if (!podman_) GTEST_SKIP() << "podman, runc or busybox-static is not installed";
    std::filesystem::create_directories(workspace());
    testing::WriteFile(workspace() / "from-workspace", "checkout\n");
  }
  std::filesystem::path workspace() const { return dir_.path() / "ws"; }
  JobEnvironment Job(std::string id = "job-1") const {
    return {.job_id = std::move(id),
            .workspace = workspace(),
            .cache_home = dir_.path() / "home",
            .image = kImage};
  }
  std::unique_ptr<DockerExecutor> Make(DockerOptions options = {}) const {
    options.host = podman_->host();
    if (options.agent_name.empty()) options.agent_name = "docker-test";
    auto made = DockerExecutor::Create(options);
    EXPECT_TRUE(made) << made.error().message;
    return made ? std::move(*made) : nullptr;
  }
  StepOutcome Run(JobSession& session, const std::string& script, RecordingSink& sink,
                  std::optional<Millis> step_timeout = std::nullopt,
                  const StopSource& stop = StopSource(), const std::string& image = "") {
    StepSpec step{.name = "s",
                  .script = script,
                  .workdir = workspace(),
                  .env = {{"RAIBID_WORKSPACE", workspace().string()},
                          {"CARGO_HOME", (dir_.path() / "home" / ".cargo").string()},
                          {"PLAIN", "value with spaces"}},
                  .step_timeout = step_timeout,
                  .image = image};
    JobDeadline deadline(std::chrono::steady_clock::now(), std::chrono::minutes(10), Millis(0));
    return session.RunStep(step, sink, deadline, stop);
  }

  static PodmanService* podman_;
  TempDir dir_{"raibid-docker"};
};
PodmanService* DockerExecutorTest::podman_ = nullptr;

TEST_F(DockerExecutorTest, StepsSeeTheImageAndTheWorkspaceButNotTheHost) {
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  auto session = executor->Begin(Job(), sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_NE(sink.Text(LogFd::kSys).find("ready in"), std::string::npos) << sink.Text(LogFd::kSys);
  // The host's own files (this test's temp dir, Debian's version file) are not there.
  auto outcome = Run(**session,
                     "cat /etc/from-image; pwd; cat from-workspace; echo \"$RAIBID_WORKSPACE\"; "
                     "echo \"$CARGO_HOME\"; echo \"$PLAIN\"; test ! -e /etc/debian_version; "
                     "test ! -e " +
                         dir_.path().string() + "; echo oops >&2; exit 3",
                     sink);
  EXPECT_EQ(outcome.result, StepResult::kFailed);
  EXPECT_EQ(outcome.exit_code, 3);
  EXPECT_EQ(sink.Text(LogFd::kOut),
            "image\n/workspace\ncheckout\n/workspace\n/raibid/cache-home/.cargo\n"
            "value with spaces\n");
  EXPECT_EQ(sink.Text(LogFd::kErr), "oops\n");
  EXPECT_NE(sink.Text(LogFd::kSys).find("step s exited with code 3"), std::string::npos)
      << sink.Text(LogFd::kSys);
  // A step writes to the workspace the agent sees.
  auto wrote = Run(**session, "echo built > out.txt", sink);
  EXPECT_EQ(wrote.result, StepResult::kSucceeded);
  EXPECT_EQ(testing::ReadFile(workspace() / "out.txt"), "built\n");
  session->reset();
  EXPECT_EQ(podman_->ContainerCount(), 0) << "the job's container is removed with the session";
}

TEST_F(DockerExecutorTest, UnderBashInTheImageEachLineIsEchoedAndTheFailingOneNamed) {
  podman_->MakeBashImage("localhost/raibid-bash:test");
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  JobEnvironment job = Job();
  job.image = "localhost/raibid-bash:test";
  auto session = executor->Begin(job, sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  auto outcome =
      Run(**session, "echo compiling\nif true; then\n  echo linking\nfi\nexit 141", sink);
  EXPECT_EQ(outcome.exit_code, 141);
  EXPECT_EQ(sink.Text(LogFd::kOut), "compiling\nlinking\n");
  EXPECT_EQ(sink.Text(LogFd::kErr), "");
  const std::string sys = sink.Text(LogFd::kSys);
  EXPECT_NE(sys.find("$ echo compiling\n$ if true; then\n$ echo linking\n$ exit 141\n"),
            std::string::npos)
      << sys;
  EXPECT_NE(outcome.message.find("exited with code 141 (SIGPIPE"), std::string::npos);
  EXPECT_NE(outcome.message.find("at line 5: exit 141"), std::string::npos) << outcome.message;
}

TEST_F(DockerExecutorTest, NothingAJobWritesOutsideItsWorkspaceReachesTheNextJob) {
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  {
    auto first = executor->Begin(Job("first"), sink, stop);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(
        Run(**first, "echo x > /root/left; echo y > /etc/left; echo z > /tmp/left", sink).result,
        StepResult::kSucceeded)
        << sink.Text(LogFd::kErr);
  }
  auto second = executor->Begin(Job("second"), sink, stop);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(
      Run(**second, "test ! -e /root/left && test ! -e /etc/left && test ! -e /tmp/left", sink)
          .result,
      StepResult::kSucceeded);
}

TEST_F(DockerExecutorTest, NoNetworkByDefaultAndBridgeOnlyWhenAllowed) {
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  auto session = executor->Begin(Job(), sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  // Only the loopback interface exists; nothing outside can be reached.
  EXPECT_EQ(
      Run(**session, "grep -v -e Inter- -e face /proc/net/dev | cut -d: -f1 | tr -d ' '", sink)
          .result,
      StepResult::kSucceeded);
  EXPECT_EQ(sink.Text(LogFd::kOut), "lo\n");
  auto job = Job("bridged");
  job.network = "bridge";
  auto refused = executor->Begin(job, sink, stop);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kInvalidPipeline);
  EXPECT_NE(refused.error().message.find("agent.docker.allow_network"), std::string::npos);
}

TEST_F(DockerExecutorTest, PrivilegedAndHostMountsOnlyWhereTheAgentAllowsThem) {
  TempDir shared("raibid-shared");
  testing::WriteFile(shared.path() / "data.txt", "shared data\n");
  RecordingSink sink;
  StopSource stop;
  auto job = Job();
  job.privileged = true;
  auto refused = Make()->Begin(job, sink, stop);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kInvalidPipeline);
  EXPECT_NE(refused.error().message.find("agent.docker.allow_privileged"), std::string::npos);
  job.privileged = false;
  job.volumes = {shared.path().string() + ":/shared:ro"};
  auto no_mount = Make()->Begin(job, sink, stop);
  ASSERT_FALSE(no_mount);
  EXPECT_NE(no_mount.error().message.find("host mounts are not allowed"), std::string::npos);
  job.volumes = {"/etc:/host-etc"};
  auto outside = Make({.host_paths = {shared.path().string()}})->Begin(job, sink, stop);
  ASSERT_FALSE(outside);
  EXPECT_NE(outside.error().message.find("not under agent.docker.host_paths"), std::string::npos);
  job.volumes = {shared.path().string() + "/../../etc:/host-etc"};
  EXPECT_FALSE(Make({.host_paths = {shared.path().string()}})->Begin(job, sink, stop));

  job.volumes = {shared.path().string() + ":/shared:ro"};
  job.privileged = true;
  auto executor = Make({.allow_privileged = true, .host_paths = {shared.path().string()}});
  auto session = executor->Begin(job, sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(Run(**session, "cat /shared/data.txt; grep CapEff /proc/self/status", sink).result,
            StepResult::kSucceeded);
  EXPECT_NE(sink.Text(LogFd::kOut).find("shared data\n"), std::string::npos);
  EXPECT_EQ(sink.Text(LogFd::kOut).find("CapEff:\t00000000"), std::string::npos)
      << "privileged: all capabilities";
  EXPECT_EQ(Run(**session, "echo x > /shared/new", sink).result, StepResult::kFailed)
      << "read-only";
}

TEST_F(DockerExecutorTest, StepsHoldOnlyTheBuildSafeCapabilities) {
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  auto session = executor->Begin(Job(), sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(Run(**session, "grep -E 'CapEff|NoNewPrivs|Seccomp:' /proc/self/status", sink).result,
            StepResult::kSucceeded);
  // CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5, SETGID 6, SETUID 7, NET_BIND_SERVICE 10.
  EXPECT_NE(sink.Text(LogFd::kOut).find("CapEff:\t00000000000004fb"), std::string::npos)
      << sink.Text(LogFd::kOut);
  EXPECT_NE(sink.Text(LogFd::kOut).find("NoNewPrivs:\t1"), std::string::npos);
  EXPECT_NE(sink.Text(LogFd::kOut).find("Seccomp:\t2"), std::string::npos)
      << "the engine's seccomp filter";
}

TEST_F(DockerExecutorTest, AMemoryLimitIsEnforcedAndAnOomKillReportedAsSuch) {
  auto executor = Make({.limit_memory = "64Mi"});
  RecordingSink sink;
  StopSource stop;
  auto job = Job();
  job.memory = "32Mi";  // the pipeline's request, under the agent's limit
  auto session = executor->Begin(job, sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_NE(sink.Text(LogFd::kSys).find("memory 32 MiB"), std::string::npos)
      << sink.Text(LogFd::kSys);
  auto outcome = Run(**session, "x=$(head -c 200000000 /dev/urandom | od -x); echo survived", sink);
  EXPECT_EQ(outcome.result, StepResult::kFailed);
  EXPECT_EQ(outcome.exit_code, 137);
  EXPECT_NE(outcome.message.find("out of memory"), std::string::npos) << outcome.message;
  EXPECT_NE(outcome.message.find("32 MiB"), std::string::npos) << outcome.message;
  EXPECT_EQ(sink.Text(LogFd::kOut).find("survived"), std::string::npos);
  // A request above the agent's limit is capped by it.
  RecordingSink capped_sink;
  auto big = Job("big");
  big.memory = "8Gi";
  auto capped = executor->Begin(big, capped_sink, stop);
  ASSERT_TRUE(capped) << capped.error().message;
  EXPECT_NE(capped_sink.Text(LogFd::kSys).find("memory 64 MiB"), std::string::npos)
      << capped_sink.Text(LogFd::kSys);
}

TEST_F(DockerExecutorTest, ATimeoutKillsTheContainerAndTheSessionRemovesIt) {
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  auto session = executor->Begin(Job(), sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  const auto t0 = std::chrono::steady_clock::now();
  auto outcome = Run(**session, "echo started; sleep 60", sink, Millis(1500));
  EXPECT_EQ(outcome.result, StepResult::kTimedOut);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(sink.Text(LogFd::kOut), "started\n");
  EXPECT_NE(outcome.message.find("step timeout of 1.5s"), std::string::npos) << outcome.message;
  // A step after it (one for a failed job) gets the container started again, workspace intact.
  EXPECT_EQ(Run(**session, "cat from-workspace", sink).result, StepResult::kSucceeded);
  EXPECT_EQ(sink.Text(LogFd::kOut), "started\ncheckout\n");
  EXPECT_NE(sink.Text(LogFd::kSys).find("the job's container was stopped; started it again"),
            std::string::npos);
  session->reset();
  EXPECT_EQ(podman_->ContainerCount(), 0);
}

// The job's disk budget is measured on the host's side of the bind-mounted workspace; past it
// the container is killed and the step ends with error kind disk.
TEST_F(DockerExecutorTest, AStepPastTheDiskBudgetOnTheWorkspaceIsKilled) {
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  auto session = executor->Begin(Job(), sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  StepSpec step{.name = "fill",
                .script = "for i in $(seq 50); do head -c 1048576 /dev/zero > f$i; sleep 0.1; done",
                .workdir = workspace(),
                .disk_exceeded = [&]() -> std::optional<std::string> {
                  if (TreeBytes(workspace()) <= (5u << 20)) return std::nullopt;
                  return "over the budget";
                }};
  JobDeadline deadline(std::chrono::steady_clock::now(), std::chrono::minutes(10), Millis(0));
  auto outcome = (*session)->RunStep(step, sink, deadline, stop);
  EXPECT_EQ(outcome.result, StepResult::kError);
  EXPECT_EQ(outcome.error_kind, ErrorKind::kDisk);
  EXPECT_EQ(outcome.message, "over the budget; step 'fill' killed");
  EXPECT_LT(TreeBytes(workspace()), 50u << 20);  // killed before it wrote everything
}

// What a step used comes from the engine's stats of its container: CPU time between the step's
// start and end, the largest memory reading (tmpfs pages count: /tmp is one).
TEST_F(DockerExecutorTest, AStepReportsTheCpuAndPeakMemoryOfItsContainer) {
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  auto session = executor->Begin(Job(), sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  auto outcome = Run(**session,
                     "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; "
                     "head -c 40000000 /dev/zero > /tmp/fill",
                     sink);
  ASSERT_EQ(outcome.result, StepResult::kSucceeded) << sink.Text(LogFd::kSys);
  ASSERT_TRUE(outcome.cpu_seconds);
  EXPECT_GT(*outcome.cpu_seconds, 0.05);
  ASSERT_TRUE(outcome.peak_memory_bytes);
  EXPECT_GE(*outcome.peak_memory_bytes, 40000000u);
  // The next step counts its own CPU only, not the first step's.
  auto idle = Run(**session, "true", sink);
  ASSERT_TRUE(idle.cpu_seconds);
  EXPECT_LT(*idle.cpu_seconds, *outcome.cpu_seconds);
}

// Independent steps of a pipeline run at the same time in the job's container: each waits for
// the other's mark in the shared workspace, which only a step running beside it can make.
TEST_F(DockerExecutorTest, TwoStepsRunAtTheSameTimeInTheJobsContainer) {
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  auto session = executor->Begin(Job(), sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  const std::string wait =
      "i=0; while [ ! -e $OTHER ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; test -e "
      "$OTHER";
  StepOutcome a, b;
  std::thread first([&] { a = Run(**session, "touch a.mark; OTHER=b.mark; " + wait, sink); });
  b = Run(**session, "touch b.mark; OTHER=a.mark; " + wait, sink);
  first.join();
  EXPECT_EQ(a.result, StepResult::kSucceeded) << a.message;
  EXPECT_EQ(b.result, StepResult::kSucceeded) << b.message;
}

TEST_F(DockerExecutorTest, AStopEndsTheStepAndLeavesNoContainer) {
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  auto session = executor->Begin(Job(), sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    stop.RequestStop(StopReason::kCancelled);
  });
  auto outcome = Run(**session, "sleep 60", sink, std::nullopt, stop);
  canceller.join();
  EXPECT_EQ(outcome.result, StepResult::kCancelled);
  session->reset();
  EXPECT_EQ(podman_->ContainerCount(), 0);
}

TEST_F(DockerExecutorTest, AForcedUserOwnsTheWorkspaceItBuildsIn) {
  auto executor = Make({.user = "1000:1000"});
  RecordingSink sink;
  StopSource stop;
  auto session = executor->Begin(Job(), sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  auto outcome =
      Run(**session, "id -u; echo new > made-by-step; mkdir -p $CARGO_HOME && touch $CARGO_HOME/x",
          sink);
  EXPECT_EQ(outcome.result, StepResult::kSucceeded) << sink.Text(LogFd::kErr);
  EXPECT_EQ(sink.Text(LogFd::kOut), "1000\n");
}

TEST_F(DockerExecutorTest, StepsGetTheConfiguredEngineForTheirOwnDockerCommands) {
  auto executor = Make({.step_host = podman_->host()});
  RecordingSink sink;
  StopSource stop;
  auto session = executor->Begin(Job(), sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(Run(**session, "echo $DOCKER_HOST; test -S /var/run/docker.sock", sink).result,
            StepResult::kSucceeded);
  EXPECT_EQ(sink.Text(LogFd::kOut), "unix:///var/run/docker.sock\n");
}

TEST_F(DockerExecutorTest, RemovesTheContainersACrashedPredecessorLeft) {
  auto left = Make({.agent_name = "crashed-agent"});
  auto other = Make({.agent_name = "other-agent"});
  RecordingSink sink;
  StopSource stop;
  auto a = left->Begin(Job("a"), sink, stop);
  auto b = other->Begin(Job("b"), sink, stop);
  ASSERT_TRUE(a && b);
  // The session objects are leaked on purpose: a crash never runs their destructors.
  // Still reachable through a global that is never destroyed, so not a leak to LSan.
  static auto* crashed = new std::vector<JobSession*>;
  crashed->push_back(a->release());
  EXPECT_EQ(podman_->ContainerCount(), 2);
  auto removed = Make({.agent_name = "crashed-agent"})->RemoveLeftovers();
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(*removed, 1);
  EXPECT_EQ(podman_->ContainerCount(), 1) << "another agent's container stays";
}

TEST_F(DockerExecutorTest, PullsByPolicyWithTheRegistryLogin) {
  testing::OciRegistry registry({.username = "ci", .password = "s3cret-pass"});
  PodmanService engine({.insecure_registries = {registry.host()}});
  const std::string pushed = registry.host() + "/ci/busybox:1";
  engine.MakeBusyboxImage(pushed, "/etc/pulled");
  engine.Podman({"push", "--tls-verify=false", "--creds", "ci:s3cret-pass", pushed});
  engine.Podman({"rmi", pushed});
  auto make = [&](std::optional<RegistryLogin> login, PullPolicy policy) {
    auto made = DockerExecutor::Create({.host = engine.host(),
                                        .agent_name = "puller",
                                        .pull_policy = policy,
                                        .login = std::move(login)});
    EXPECT_TRUE(made);
    return std::move(*made);
  };
  RecordingSink sink;
  StopSource stop;
  auto job = Job();
  job.image = pushed;
  auto never = make(std::nullopt, PullPolicy::kNever)->Begin(job, sink, stop);
  ASSERT_FALSE(never);
  EXPECT_NE(never.error().message.find("pull_policy is never"), std::string::npos)
      << never.error().message;
  auto anonymous = make(std::nullopt, PullPolicy::kIfNotPresent)->Begin(job, sink, stop);
  ASSERT_FALSE(anonymous);
  EXPECT_EQ(anonymous.error().kind, ErrorKind::kInfrastructure);
  EXPECT_NE(anonymous.error().message.find(pushed), std::string::npos) << anonymous.error().message;
  auto executor =
      make(RegistryLogin{.server = registry.host(), .username = "ci", .password = "s3cret-pass"},
           PullPolicy::kIfNotPresent);
  auto session = executor->Begin(job, sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_NE(sink.Text(LogFd::kSys).find("pulling image " + pushed), std::string::npos)
      << sink.Text(LogFd::kSys);
  EXPECT_EQ(Run(**session, "cat /etc/pulled", sink).result, StepResult::kSucceeded);
  EXPECT_EQ(sink.Text(LogFd::kOut), "image\n");
}

// A busybox httpd serving the image's /etc on port 8080 (after `before`, a shell snippet).
ServiceSpec Web(std::string before = "", std::optional<int> ready_port = 8080) {
  return {.name = "web",
          .image = kImage,
          .command = {"/bin/sh", "-c", before + "exec httpd -f -v -p 8080 -h /etc"},
          .ready_port = ready_port,
          .ready_timeout_seconds = 20};
}

TEST_F(DockerExecutorTest, AServiceIsReachedByNameAndByLocalhostWithoutOtherNetworks) {
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  auto job = Job();
  job.services = {Web("sleep 0.5; ")};  // not listening at once: the wait is needed
  auto session = executor->Begin(job, sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_NE(sink.Text(LogFd::kSys).find("service web ready in"), std::string::npos);
  auto outcome = Run(**session,
                     "wget -qO- http://web:8080/from-image; wget -qO- "
                     "http://localhost:8080/from-image; grep -v -e Inter- -e face /proc/net/dev "
                     "| cut -d: -f1 | tr -d ' '",
                     sink);
  EXPECT_EQ(outcome.result, StepResult::kSucceeded) << sink.Text(LogFd::kErr);
  EXPECT_EQ(sink.Text(LogFd::kOut), "image\nimage\nlo\n");
  session->reset();
  // httpd -v logs each request; its output is the job's, attributed to the service.
  EXPECT_NE(sink.Lines().find("service:web/err: "), std::string::npos) << sink.Lines();
  EXPECT_EQ(podman_->ContainerCount(), 0);
}

TEST_F(DockerExecutorTest, AReadyCommandDecidesWhenAServiceIsReady) {
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  auto job = Job();
  job.services = {Web("sleep 0.5; touch /tmp/up; ", std::nullopt)};
  job.services[0].ready_command = "test -e /tmp/up";
  auto session = executor->Begin(job, sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(Run(**session, "wget -qO- http://web:8080/from-image", sink).result,
            StepResult::kSucceeded)
      << sink.Text(LogFd::kErr);
}

TEST_F(DockerExecutorTest, AServiceNeverReadyFailsWithinItsTimeoutLeavingNoContainer) {
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  auto job = Job();
  job.services = {Web("echo starting slowly; ", 9999)};
  job.services[0].ready_timeout_seconds = 2;
  const auto t0 = std::chrono::steady_clock::now();
  auto session = executor->Begin(job, sink, stop);
  ASSERT_FALSE(session);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15));
  EXPECT_EQ(session.error().kind, ErrorKind::kService);
  EXPECT_NE(session.error().message.find("service 'web' was not ready within 2s (port 9999"),
            std::string::npos)
      << session.error().message;
  EXPECT_NE(session.error().message.find("starting slowly"), std::string::npos);
  EXPECT_EQ(podman_->ContainerCount(), 0);
}

TEST_F(DockerExecutorTest, AServiceThatCrashesMidJobFailsTheStepBesideItNamingTheService) {
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  auto job = Job();
  job.services = {Web()};
  job.services[0].command = {"/bin/sh", "-c",
                             "httpd -p 8080 -h /etc; sleep 1.5; echo going down >&2; exit 7"};
  auto session = executor->Begin(job, sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  auto outcome = Run(**session, "sleep 60", sink);
  EXPECT_EQ(outcome.result, StepResult::kError);
  EXPECT_EQ(outcome.error_kind, ErrorKind::kService);
  EXPECT_NE(outcome.message.find("service 'web' exited with code 7"), std::string::npos)
      << outcome.message;
  EXPECT_NE(outcome.message.find("going down"), std::string::npos) << outcome.message;
  // A step after it (one that runs for a failed job) runs in the restarted container.
  EXPECT_EQ(Run(**session, "cat from-workspace", sink).result, StepResult::kSucceeded);
  session->reset();
  EXPECT_EQ(podman_->ContainerCount(), 0);
}

TEST_F(DockerExecutorTest, AMissingServiceImageFailsNamingTheServiceAndTheImage) {
  auto executor = Make({.pull_policy = PullPolicy::kNever});
  RecordingSink sink;
  StopSource stop;
  auto job = Job();
  job.services = {Web()};
  job.services[0].image = "localhost/no-such-image:1";
  auto session = executor->Begin(job, sink, stop);
  ASSERT_FALSE(session);
  EXPECT_NE(session.error().message.find("service 'web': image localhost/no-such-image:1"),
            std::string::npos)
      << session.error().message;
  EXPECT_EQ(podman_->ContainerCount(), 0);
}

TEST_F(DockerExecutorTest, StepsInTwoImagesShareTheWorkspace) {
  const std::string other = "localhost/raibid-other:test";
  podman_->MakeBusyboxImage(other, "/etc/other-image");
  auto executor = Make();
  RecordingSink sink;
  StopSource stop;
  auto job = Job();
  job.step_images = {other};
  auto session = executor->Begin(job, sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(Run(**session, "test -e /etc/other-image && echo written > shared.txt", sink,
                std::nullopt, stop, other)
                .result,
            StepResult::kSucceeded);
  EXPECT_EQ(Run(**session, "test ! -e /etc/other-image && cat shared.txt", sink).result,
            StepResult::kSucceeded);
  EXPECT_EQ(sink.Text(LogFd::kOut), "written\n");
  session->reset();
  EXPECT_EQ(podman_->ContainerCount(), 0);
}

TEST_F(DockerExecutorTest, TheRestartSweepRemovesServicesAndStepImagesOfACrashedAgent) {
  // A crashed agent never ends its session: the sweep of the next start runs while this one is
  // still open (as if its process were gone), and must remove everything on its own. The session
  // is ended only afterwards, so its watcher threads are joined (a leaked one would be a thread
  // leak of the test, not of the agent).
  auto executor = Make({.agent_name = "crashed-with-services"});
  RecordingSink sink;
  StopSource stop;
  auto job = Job();
  job.services = {Web()};
  job.step_images = {"localhost/raibid-bash:test"};
  podman_->MakeBashImage("localhost/raibid-bash:test");
  auto session = executor->Begin(job, sink, stop);
  ASSERT_TRUE(session) << session.error().message;
  EXPECT_EQ(podman_->ContainerCount(), 4) << "namespace, job, step image, service";
  auto removed = Make({.agent_name = "crashed-with-services"})->RemoveLeftovers();
  ASSERT_TRUE(removed) << removed.error().message;
  EXPECT_EQ(*removed, 4);
  EXPECT_EQ(podman_->ContainerCount(), 0);
}

TEST(DockerExecutor, AnEngineThatIsDownIsARetryableInfrastructureError) {
  auto executor =
      DockerExecutor::Create({.host = "unix:///nonexistent/raibid.sock", .agent_name = "a"});
  ASSERT_TRUE(executor);
  EXPECT_FALSE((*executor)->Ready());
  TempDir dir;
  RecordingSink sink;
  StopSource stop;
  auto session =
      (*executor)->Begin({.job_id = "j", .workspace = dir.path(), .image = kImage}, sink, stop);
  ASSERT_FALSE(session);
  EXPECT_EQ(session.error().kind, ErrorKind::kInfrastructure);
  EXPECT_TRUE(session.error().retryable);
  EXPECT_NE(session.error().message.find("unix:///nonexistent/raibid.sock"), std::string::npos);
}

TEST(DockerExecutor, ConfigurationErrorsAreCaughtAtCreation) {
  EXPECT_FALSE(DockerExecutor::Create({.host = "ftp://x"}));
  EXPECT_FALSE(DockerExecutor::Create({.host = "unix:///s", .limit_memory = "lots"}));
  EXPECT_FALSE(DockerExecutor::Create({.host = "unix:///s", .limit_cpu = "-2"}));
  EXPECT_EQ(*ParseNanoCpus("2"), 2'000'000'000);
  EXPECT_EQ(*ParseNanoCpus("0.5"), 500'000'000);
  EXPECT_EQ(*ParseNanoCpus("250m"), 250'000'000);
  EXPECT_FALSE(ParseNanoCpus("two"));
  EXPECT_FALSE(ParseNanoCpus(""));
}

}  // namespace
}  // namespace raibid
