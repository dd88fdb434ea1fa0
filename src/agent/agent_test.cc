// End to end: jobs submitted to a real redis-server, sources from real git repositories (file://
// and smart HTTP behind nginx), steps run by the shell executor. After every test the group has
// nothing pending and no process of a job is alive.
#include "agent/agent.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "process/run_command.h"
#include "support/agent_harness.h"
#include "support/git_http_server.h"
#include "support/git_repo.h"
#include "support/oci_registry.h"

namespace raibid {
namespace {

using testing::AgentHarness;
using testing::GitRepo;

bool ProcessAlive(pid_t pid) { return kill(pid, 0) == 0; }

class AgentTest : public ::testing::Test {
 protected:
  AgentTest() : repos_("raibid-repos"), repo_(repos_.path() / "acme" / "app.git") {
    sha1_ = repo_.Commit({{"README", "one\n"},
                          {".raibid.yaml",
                           "steps:\n  - name: hello\n    command: |\n"
                           "      echo \"hello from $RAIBID_BRANCH\"\n"
                           "      cat README\n"}});
    repo_.Tag("v1");
    sha2_ = repo_.Commit({{"README", "two\n"}});
  }
  void TearDown() override {
    if (harness_) {
      // The final state is written just before the XACK: give the ack its moment.
      EXPECT_TRUE(testing::WaitFor([&] { return harness_->PendingCount() == 0; }))
          << harness_->PendingCount() << " entries left pending";
    }
  }
  AgentHarness& Start(testing::HarnessOptions options = {}) {
    if (options.git_base_url.empty()) options.git_base_url = "file://" + repos_.path().string();
    harness_ = std::make_unique<AgentHarness>(std::move(options));
    return *harness_;
  }
  std::string Job(const std::string& id, const std::string& extra) {
    return R"({"job_id": ")" + id + R"(", "repository": "acme/app", )" + extra + "}";
  }

  testing::TempDir repos_;
  GitRepo repo_;
  std::string sha1_, sha2_;
  std::unique_ptr<AgentHarness> harness_;
};

TEST_F(AgentTest, InlinePipelineRunsAtCommitWithContractEnvironment) {
  auto& h = Start();
  h.Enqueue(Job("j1", R"("commit": ")" + sha1_.substr(0, 10) + R"(", "branch": "main",
    "env": {"EXTRA": "x1"},
    "pipeline": {"steps": [{"name": "env", "command": "echo CI=$CI $RAIBID_JOB_ID $RAIBID_COMMIT $RAIBID_STEP $EXTRA; cat README"}]})"));
  ASSERT_EQ(h.WaitFinal("j1"), "succeeded") << h.Field("j1", "error");
  std::string log = h.Log("j1");
  EXPECT_NE(log.find("CI=true j1 " + sha1_ + " env x1"), std::string::npos) << log;
  EXPECT_NE(log.find("one\n"), std::string::npos);
  EXPECT_EQ(h.Field("j1", "exit_code"), "0");
  EXPECT_EQ(h.Field("j1", "agent"), "test-agent");
  EXPECT_EQ(h.Field("j1", "attempt"), "1");
  EXPECT_NE(h.Field("j1", "steps").find(R"("state":"succeeded")"), std::string::npos);
}

TEST_F(AgentTest, PipelineFileFromTheRepositoryAtBranchAndTag) {
  auto& h = Start();
  h.Enqueue(Job("by-branch", R"("branch": "main")"));
  h.Enqueue(Job("by-tag", R"("tag": "v1")"));
  ASSERT_EQ(h.WaitFinal("by-branch"), "succeeded") << h.Field("by-branch", "error");
  ASSERT_EQ(h.WaitFinal("by-tag"), "succeeded") << h.Field("by-tag", "error");
  // Under bash the second line of the script is echoed before its output.
  EXPECT_NE(h.Log("by-branch").find("hello from main\n$ cat README\ntwo\n"), std::string::npos)
      << h.Log("by-branch");
  EXPECT_NE(h.Log("by-tag").find("one\n"), std::string::npos);
}

TEST_F(AgentTest, FailingStepFailsTheJobAndSkipsTheRest) {
  auto& h = Start();
  h.Enqueue(Job("fail", R"("branch": "main", "pipeline": {"steps": [
    {"name": "a", "command": "echo before\nexit 3\necho never"},
    {"name": "b", "command": "echo b"}]})"));
  ASSERT_EQ(h.WaitFinal("fail"), "failed");
  EXPECT_EQ(h.Field("fail", "error_kind"), "step_failed");
  EXPECT_EQ(h.Field("fail", "exit_code"), "3");
  EXPECT_NE(h.Field("fail", "steps").find(R"("name":"b","state":"skipped")"), std::string::npos)
      << h.Field("fail", "steps");
  EXPECT_EQ(h.Log("fail").find("never"), std::string::npos);
}

TEST_F(AgentTest, TimeoutKillsASetsidGrandchild) {
  auto& h = Start();
  const auto pidfile = h.root() / "grandchild.pid";
  h.Enqueue(Job("slow", R"("branch": "main", "timeout_minutes": 0.02, "pipeline": {"steps": [
    {"name": "hang", "command": "setsid sh -c 'echo $$ > )" +
                            pidfile.string() + R"(; exec sleep 300' &\nsleep 300"}]})"));
  ASSERT_EQ(h.WaitFinal("slow"), "timed_out");
  EXPECT_EQ(h.Field("slow", "error_kind"), "timeout");
  pid_t pid = std::stoi(testing::ReadFile(pidfile));
  EXPECT_TRUE(testing::WaitFor([&] { return !ProcessAlive(pid); }, std::chrono::seconds(2)))
      << "grandchild " << pid << " survived the timeout";
}

TEST_F(AgentTest, SoftTimeoutWarnsAndExtendsOnce) {
  auto& h = Start({.extension_percent = 200});
  h.Enqueue(Job("soft", R"("branch": "main", "timeout_minutes": 0.01, "pipeline": {"steps": [
    {"name": "a", "command": "sleep 1; echo done"}]})"));
  ASSERT_EQ(h.WaitFinal("soft"), "succeeded") << h.Field("soft", "error");
  EXPECT_NE(h.Log("soft").find("warning"), std::string::npos) << h.Log("soft");
}

TEST_F(AgentTest, UnparseableEntriesAreDeadLetteredAndTheAgentGoesOn) {
  auto& h = Start();
  h.Enqueue("this is not json");
  h.Enqueue(R"({"repository": "acme/app", "branch": "main"})");
  h.redis().Cli({"XADD", "ci-jobs", "*", "other", "field"});
  h.Enqueue(Job("after", R"("branch": "main")"));
  ASSERT_EQ(h.WaitFinal("after"), "succeeded");
  EXPECT_EQ(h.DeadCount(), 3);
  std::string dead = h.redis().Cli({"XRANGE", "ci-jobs:dead", "-", "+"});
  EXPECT_NE(dead.find("not valid JSON"), std::string::npos) << dead;
  EXPECT_NE(dead.find("job_id"), std::string::npos);
}

TEST_F(AgentTest, InvalidJobsFailWithTheFieldNamed) {
  auto& h = Start();
  const auto marker = h.root() / "pwned";
  h.Enqueue(R"({"job_id": "no-ref", "repository": "acme/app"})");
  h.Enqueue(
      R"({"job_id": "bad-timeout", "repository": "acme/app", "branch": "main", "timeout_minutes": "x"})");
  h.Enqueue(Job("inject", R"("branch": "--upload-pack=touch )" + marker.string() + R"(")"));
  h.Enqueue(Job("bad-sha", R"("commit": "zzzz")"));
  for (auto [id, field] : {std::pair{"no-ref", "commit, branch or tag"},
                           {"bad-timeout", "timeout_minutes"},
                           {"inject", "branch"},
                           {"bad-sha", "commit"}}) {
    ASSERT_EQ(h.WaitFinal(id), "failed") << id;
    EXPECT_EQ(h.Field(id, "error_kind"), "invalid_job") << id;
    EXPECT_NE(h.Field(id, "error").find(field), std::string::npos) << h.Field(id, "error");
  }
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(AgentTest, BrokenPipelineFileNamesFileLineAndColumn) {
  repo_.Commit({{".raibid.yaml", "steps:\n  - name: a\n    command: [unclosed\n"}});
  auto& h = Start();
  h.Enqueue(Job("broken", R"("branch": "main")"));
  ASSERT_EQ(h.WaitFinal("broken"), "failed");
  EXPECT_EQ(h.Field("broken", "error_kind"), "invalid_pipeline");
  EXPECT_EQ(h.Field("broken", "error").rfind(".raibid.yaml:", 0), 0u) << h.Field("broken", "error");
}

TEST_F(AgentTest, UnreachableRepositoryIsASourceError) {
  auto& h = Start();
  h.Enqueue(
      R"({"job_id": "gone", "repository": "file:///nonexistent/repo.git", "branch": "main"})");
  h.Enqueue(Job("missing-branch", R"("branch": "no-such-branch")"));
  ASSERT_EQ(h.WaitFinal("gone"), "failed");
  EXPECT_EQ(h.Field("gone", "error_kind"), "source");
  EXPECT_FALSE(h.Field("gone", "error").empty());
  ASSERT_EQ(h.WaitFinal("missing-branch"), "failed");
  EXPECT_EQ(h.Field("missing-branch", "error_kind"), "source");
}

TEST_F(AgentTest, AJobAlreadyFinalIsAcknowledgedWithoutRunning) {
  auto& h = Start();
  h.redis().Cli({"HSET", "ci:job:done", "state", "succeeded"});
  h.Enqueue(Job("done", R"("branch": "main")"));
  h.Enqueue(Job("next", R"("branch": "main")"));
  ASSERT_EQ(h.WaitFinal("next"), "succeeded");
  EXPECT_EQ(h.Field("done", "attempt"), "");
  EXPECT_EQ(h.redis().Cli({"EXISTS", "ci:logs:done"}), "0");
}

TEST_F(AgentTest, APipelineFileIsFollowedOnlyWhileItStaysInTheRepository) {
  GitRepo linked(repos_.path() / "acme" / "linked.git");
  linked.Commit({{"ci/pipeline.yaml", "steps: [{name: s, command: echo through-the-link}]\n"}});
  std::filesystem::create_symlink("ci/pipeline.yaml", linked.path() / ".raibid.yaml");
  const std::string inside = linked.Commit({}, "link inside");
  std::filesystem::remove(linked.path() / ".raibid.yaml");
  std::filesystem::create_symlink("/etc/passwd", linked.path() / ".raibid.yaml");
  const std::string outside = linked.Commit({}, "link outside");
  auto& h = Start();
  h.Enqueue(R"({"job_id": "in", "repository": "acme/linked", "commit": ")" + inside + R"("})");
  h.Enqueue(R"({"job_id": "out", "repository": "acme/linked", "commit": ")" + outside + R"("})");
  ASSERT_EQ(h.WaitFinal("in"), "succeeded") << h.Field("in", "error");
  EXPECT_NE(h.Log("in").find("through-the-link"), std::string::npos);
  ASSERT_EQ(h.WaitFinal("out"), "failed");
  EXPECT_EQ(h.Field("out", "error_kind"), "invalid_pipeline");
  EXPECT_NE(h.Field("out", "error").find(".raibid.yaml: "), std::string::npos)
      << h.Field("out", "error");
  EXPECT_EQ(h.Log("out").find("root:x:0"), std::string::npos) << "the host's file was never read";
}

TEST_F(AgentTest, CancelEndsARunningJobsProcessTree) {
  auto& h = Start();
  ASSERT_TRUE(testing::WaitFor([&] { return h.agent().listening_for_cancels(); }));
  const auto pidfile = h.root() / "child.pid";
  h.Enqueue(Job("long", R"("branch": "main", "pipeline": {"steps": [
    {"name": "wait", "command": "sleep 300 &\necho $! > )" +
                            pidfile.string() + R"(\nwait"}]})"));
  ASSERT_TRUE(testing::WaitFor(
      [&] { return std::filesystem::exists(pidfile) && !testing::ReadFile(pidfile).empty(); }));
  h.redis().Cli({"HSET", "ci:job:long", "cancel_requested", "1"});
  h.redis().Cli({"PUBLISH", "ci:cancel", "long"});
  ASSERT_EQ(h.WaitFinal("long", std::chrono::seconds(5)), "cancelled");
  EXPECT_EQ(h.Field("long", "error_kind"), "cancelled");
  pid_t pid = std::stoi(testing::ReadFile(pidfile));
  EXPECT_TRUE(testing::WaitFor([&] { return !ProcessAlive(pid); }, std::chrono::seconds(2)));
}

TEST_F(AgentTest, AJobCancelledWhileQueuedNeverRuns) {
  auto& h = Start();
  h.redis().Cli({"HSET", "ci:job:early", "state", "queued", "cancel_requested", "1"});
  h.Enqueue(Job("early", R"("branch": "main")"));
  ASSERT_EQ(h.WaitFinal("early"), "cancelled");
  EXPECT_EQ(h.redis().Cli({"EXISTS", "ci:logs:early"}), "0");
}

TEST_F(AgentTest, TransportErrorsAreRetriedWithBackoffThenFail) {
  auto& h = Start();
  const int port = testing::FreePort();  // nothing listens here
  h.Enqueue(R"({"job_id": "flaky", "repository": "http://127.0.0.1:)" + std::to_string(port) +
            R"(/acme/app.git", "branch": "main"})");
  ASSERT_EQ(h.WaitFinal("flaky"), "failed");
  EXPECT_EQ(h.Field("flaky", "error_kind"), "source");
  std::string log = h.Log("flaky");
  EXPECT_NE(log.find("(retry 1)"), std::string::npos) << log;
  EXPECT_NE(log.find("(retry 2)"), std::string::npos) << log;
  EXPECT_EQ(log.find("(retry 3)"), std::string::npos) << log;
}

TEST_F(AgentTest, ARedisRestartMidJobLosesNothing) {
  auto& h = Start({.persistent_redis = true});
  h.Enqueue(Job("survivor", R"("branch": "main", "pipeline": {"steps": [
    {"name": "a", "command": "echo before; sleep 1.5; echo after"},
    {"name": "b", "command": "echo second-step"}]})"));
  ASSERT_TRUE(
      testing::WaitFor([&] { return h.Log("survivor").find("before") != std::string::npos; }));
  h.redis().Restart();
  ASSERT_EQ(h.WaitFinal("survivor"), "succeeded") << h.Field("survivor", "error");
  std::string log = h.Log("survivor");
  EXPECT_NE(log.find("after"), std::string::npos) << log;
  EXPECT_NE(log.find("second-step"), std::string::npos) << log;
  // The agent is still consuming.
  h.Enqueue(Job("next", R"("branch": "main")"));
  ASSERT_EQ(h.WaitFinal("next"), "succeeded");
}

TEST_F(AgentTest, ASecondRunSeesTheFirstRunsCache) {
  auto& h = Start();
  const std::string pipeline = R"("pipeline": {"cache": {"paths": ["out/", "~/deps/"]}, "steps": [
    {"name": "build", "command": "mkdir -p out $RAIBID_CACHE_HOME/deps; test -f out/built && test -f $RAIBID_CACHE_HOME/deps/d && echo WARM || echo COLD; date > out/built; date > $RAIBID_CACHE_HOME/deps/d"}]})";
  h.Enqueue(Job("first", R"("branch": "main", )" + pipeline));
  ASSERT_EQ(h.WaitFinal("first"), "succeeded") << h.Field("first", "error");
  EXPECT_NE(h.Log("first").find("COLD"), std::string::npos);
  EXPECT_NE(h.Log("first").find("cache: saved"), std::string::npos) << h.Log("first");
  h.Enqueue(Job("second", R"("branch": "main", )" + pipeline));
  ASSERT_EQ(h.WaitFinal("second"), "succeeded");
  EXPECT_NE(h.Log("second").find("WARM"), std::string::npos) << h.Log("second");
  EXPECT_NE(h.Field("second", "cache").find(R"("result":"hit")"), std::string::npos)
      << h.Field("second", "cache");
  h.Enqueue(Job("off", R"("branch": "main", "cache_enabled": false, )" + pipeline));
  ASSERT_EQ(h.WaitFinal("off"), "succeeded");
  EXPECT_NE(h.Log("off").find("COLD"), std::string::npos);
}

TEST_F(AgentTest, ACachePathThatEscapesFailsThePipeline) {
  auto& h = Start();
  h.Enqueue(Job("escape", R"("branch": "main", "pipeline": {"cache": {"paths": ["../../etc"]},
    "steps": [{"name": "a", "command": "true"}]})"));
  ASSERT_EQ(h.WaitFinal("escape"), "failed");
  EXPECT_EQ(h.Field("escape", "error_kind"), "invalid_pipeline");
  EXPECT_NE(h.Field("escape", "error").find("../../etc"), std::string::npos);
}

TEST_F(AgentTest, IdleUpkeepRunsOncePerIdleStretch) {
  std::atomic<int> runs{0};
  auto& h = Start({.maintain_after_idle = std::chrono::seconds(1), .maintain = [&] { ++runs; }});
  ASSERT_TRUE(testing::WaitFor([&] { return runs == 1; }, std::chrono::seconds(10)));
  h.Enqueue(Job("between", R"("branch": "main")"));
  ASSERT_EQ(h.WaitFinal("between"), "succeeded");
  EXPECT_TRUE(testing::WaitFor([&] { return runs == 2; }, std::chrono::seconds(10)));
  EXPECT_EQ(runs, 2);
}

TEST_F(AgentTest, SecretVariablesReachStepsByTheirEnvironmentAndAreMaskedInTheLog) {
  // agent.secrets gives DEPLOY_KEY to every job; the job adds NPM_TOKEN through secret_env; the
  // repository's pipeline tries to replace DEPLOY_KEY and cannot.
  auto& h = Start({.secret_env = {{"DEPLOY_KEY", "agent-level-secret-1"}}});
  h.Enqueue(Job("sec", R"json("branch": "main", "secret_env": {"NPM_TOKEN": "job-level-secret-2"},
    "pipeline": {"env": {"DEPLOY_KEY": "from-the-repository"}, "steps": [{"name": "use", "command":
    "test \"${DEPLOY_KEY%-1}\" = agent-level-secret\ntest \"${NPM_TOKEN%-2}\" = job-level-secret\necho key=$DEPLOY_KEY token=$NPM_TOKEN\nprintf %s \"$NPM_TOKEN\" | base64\nprintf 'split: job-level-'; printf 'secret-2\\n'\nprintf '%s\\n%s\\n' \"$DEPLOY_KEY\" \"$NPM_TOKEN\" > \"$RAIBID_WORKSPACE/.pat\"\necho argv-hits=$(cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n' | grep -c -F -f \"$RAIBID_WORKSPACE/.pat\")"}]})json"));
  ASSERT_EQ(h.WaitFinal("sec"), "succeeded") << h.Field("sec", "error") << h.Log("sec");
  const std::string log = h.Log("sec");
  EXPECT_NE(log.find("key=[MASKED] token=[MASKED]"), std::string::npos) << log;
  EXPECT_NE(log.find("split: [MASKED]"), std::string::npos) << log;
  // No process of the host (the agent, the reaper, the step's shell) carries them in its argv
  // (the script above names neither value whole, so it does not count itself).
  EXPECT_NE(log.find("argv-hits=0"), std::string::npos) << log;
  for (const char* leak : {"agent-level-secret-1", "job-level-secret-2", "am9iLWxldmVsLXNlY3JldC0y",
                           "from-the-repository"}) {
    EXPECT_EQ(log.find(leak), std::string::npos) << leak << " in " << log;
  }
}

// Each step waits for the other's mark in the workspace, which only a step running beside it can
// make; the step records then show the two overlapping.
TEST_F(AgentTest, IndependentStepsRunAtTheSameTimeAsTheirRecordsShow) {
  auto& h = Start();
  const std::string wait =
      R"(i=0; while [ ! -e $OTHER ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; test -e $OTHER)";
  h.Enqueue(Job("fan", R"("branch": "main", "pipeline": {"steps": [
    {"name": "lint", "depends_on": [], "command": "touch a.mark; OTHER=b.mark; )" +
                           wait + R"("},
    {"name": "test", "depends_on": [], "command": "touch b.mark; OTHER=a.mark; )" +
                           wait + R"("},
    {"name": "after", "depends_on": ["lint", "test"], "command": "ls a.mark b.mark"}]})"));
  ASSERT_EQ(h.WaitFinal("fan"), "succeeded") << h.Field("fan", "error") << h.Log("fan");
  const auto steps = nlohmann::json::parse(h.Field("fan", "steps"));
  // RFC 3339 UTC with milliseconds: text order is time order.
  EXPECT_LT(steps[0]["started_at"].get<std::string>(), steps[1]["finished_at"].get<std::string>());
  EXPECT_LT(steps[1]["started_at"].get<std::string>(), steps[0]["finished_at"].get<std::string>());
  EXPECT_GE(steps[2]["started_at"].get<std::string>(), steps[0]["finished_at"].get<std::string>());
  EXPECT_GE(steps[2]["started_at"].get<std::string>(), steps[1]["finished_at"].get<std::string>());
}

TEST_F(AgentTest, WhatAJobUsedIsRecorded) {
  auto& h = Start();
  h.Enqueue(Job("disk", R"("branch": "main", "pipeline": {"steps": [
    {"name": "write", "command": "head -c 5000000 /dev/zero > big"}]})"));
  ASSERT_EQ(h.WaitFinal("disk"), "succeeded") << h.Field("disk", "error");
  const uint64_t bytes = std::stoull(h.Field("disk", "workspace_bytes"));
  EXPECT_GE(bytes, 5000000u);
  EXPECT_LT(bytes, 6000000u);  // the checkout adds little
  EXPECT_GE(std::stod(h.Field("disk", "cpu_seconds")), 0.0);
  EXPECT_GT(std::stoull(h.Field("disk", "peak_memory_bytes")), 0u);
  const auto steps = nlohmann::json::parse(h.Field("disk", "steps"));
  EXPECT_TRUE(steps[0].contains("cpu_seconds"));
  EXPECT_GT(steps[0]["peak_memory_bytes"].get<uint64_t>(), 0u);
}

TEST_F(AgentTest, ArtifactsArePushedToTheRegistryAndRecorded) {
  testing::OciRegistry registry({.username = "ci", .password = "registry-secret"});
  auto& h = Start({.secret = "registry-secret",
                   .registry = RegistryConfig{.url = registry.url(),
                                              .username = "ci",
                                              .password = "registry-secret",
                                              .insecure = true}});
  h.Enqueue(Job(
      "art", R"("branch": "main", "pipeline": {"artifacts": {"paths": ["dist/app", "dist/docs/"]},
    "steps": [{"name": "build", "command": "mkdir -p dist/docs; echo binary > dist/app; echo hi > dist/docs/index.html"}]})"));
  ASSERT_EQ(h.WaitFinal("art"), "succeeded") << h.Field("art", "error") << h.Log("art");
  const std::string artifacts = h.Field("art", "artifacts");
  EXPECT_NE(artifacts.find("acme/app:build-art"), std::string::npos) << artifacts;
  EXPECT_NE(artifacts.find("sha256:"), std::string::npos);
  auto raw = RunCommand(
      {.argv = {"skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", "ci:registry-secret",
                "docker://" + registry.host() + "/acme/app:build-art"}});
  ASSERT_TRUE(raw);
  EXPECT_NE(raw->out.find("application/vnd.raibid.build.v1"), std::string::npos)
      << raw->out << raw->err;
  EXPECT_EQ(h.Log("art").find("registry-secret"), std::string::npos);
}

TEST_F(AgentTest, StepsBuildAndPushImagesToImageTagWithTheJobsCredentials) {
  testing::OciRegistry registry({.username = "ci", .password = "registry-secret"});
  repo_.Commit(
      {{"image/hello", "hi\n"}, {"image/Dockerfile", "FROM scratch\nCOPY hello /hello\n"}});
  auto& h =
      Start({.secret = "registry-secret",
             .registry = RegistryConfig{.url = registry.url(),
                                        .username = "ci",
                                        .password = "registry-secret",
                                        .insecure = true},
             .step_login = StepRegistryLogin{.username = "ci", .password = "registry-secret"}});
  h.Enqueue(Job("img", R"("branch": "main", "pipeline": {"steps": [{"name": "publish", "command":
    "echo tag=$IMAGE_TAG; test -f \"$REGISTRY_AUTH_FILE\"; buildah bud --isolation chroot -q -t $IMAGE_TAG image; buildah push -q --tls-verify=false $IMAGE_TAG; buildah rmi $IMAGE_TAG >/dev/null"}]})"));
  ASSERT_EQ(h.WaitFinal("img"), "succeeded") << h.Log("img");
  const std::string tag = registry.host() + "/acme/app:" + repo_.RevParse("HEAD").substr(0, 8);
  EXPECT_NE(h.Log("img").find("tag=" + tag), std::string::npos) << h.Log("img");
  auto raw = RunCommand({.argv = {"skopeo", "inspect", "--raw", "--tls-verify=false", "--creds",
                                  "ci:registry-secret", "docker://" + tag}});
  ASSERT_TRUE(raw);
  EXPECT_EQ(raw->exit_code, 0) << raw->err;
  EXPECT_FALSE(std::filesystem::exists(h.root() / "work" / "img.auth"));
}

TEST_F(AgentTest, StepsNeverHoldTheAgentsOwnRegistryLogin) {
  testing::OciRegistry registry;
  auto& h = Start({.registry = RegistryConfig{.url = registry.url(),
                                              .username = "ci",
                                              .password = "registry-secret",
                                              .insecure = true}});
  h.Enqueue(Job("nologin", R"("branch": "main", "pipeline": {"steps": [{"name": "look",
    "command": "echo tag=$IMAGE_TAG auth=${REGISTRY_AUTH_FILE:-none} config=${DOCKER_CONFIG:-none}; echo found=`grep -rl Y2k6cmVnaXN0cnktc2VjcmV0 .. 2>/dev/null | wc -l`"}]})"));
  ASSERT_EQ(h.WaitFinal("nologin"), "succeeded") << h.Log("nologin");
  const std::string log = h.Log("nologin");
  EXPECT_NE(log.find("tag=" + registry.host() + "/acme/app:"), std::string::npos) << log;
  EXPECT_NE(log.find("auth=none config=none"), std::string::npos) << log;
  EXPECT_NE(log.find("found=0"), std::string::npos) << log;
  EXPECT_EQ(log.find("ci:registry-secret"), std::string::npos) << log;
}

TEST_F(AgentTest, ARegistryThatIsDownFailsTheJobAsInfrastructure) {
  testing::OciRegistry registry;
  const std::string url = registry.url();
  registry.Stop();
  auto& h = Start(
      {.registry = RegistryConfig{
           .url = url, .insecure = true, .retry = {.initial = Millis(20), .max_retries = 1}}});
  h.Enqueue(Job("down", R"("branch": "main", "pipeline": {"artifacts": {"paths": ["out"]},
    "steps": [{"name": "build", "command": "echo x > out"}]})"));
  ASSERT_EQ(h.WaitFinal("down"), "failed");
  EXPECT_EQ(h.Field("down", "error_kind"), "infrastructure");
  EXPECT_NE(h.Field("down", "error").find(registry.host()), std::string::npos)
      << h.Field("down", "error");
}

TEST_F(AgentTest, AgentsOnDifferentNodesShareCachesThroughTheRegistry) {
  testing::OciRegistry registry;
  const RegistryConfig config{.url = registry.url(), .insecure = true};
  const std::string pipeline = R"("pipeline": {"cache": {"paths": ["out/"]}, "steps": [
    {"name": "build", "command": "mkdir -p out; test -f out/built && echo WARM || echo COLD; date > out/built"}]})";
  const std::string base = "file://" + repos_.path().string();
  {
    AgentHarness node1({.git_base_url = base, .registry = config, .cache_remote = true});
    node1.Enqueue(Job("n1", R"("branch": "main", )" + pipeline));
    ASSERT_EQ(node1.WaitFinal("n1"), "succeeded");
    EXPECT_NE(node1.Log("n1").find("pushed"), std::string::npos) << node1.Log("n1");
  }
  AgentHarness node2({.git_base_url = base, .registry = config, .cache_remote = true});
  node2.Enqueue(Job("n2", R"("branch": "main", )" + pipeline));
  ASSERT_EQ(node2.WaitFinal("n2"), "succeeded");
  EXPECT_NE(node2.Log("n2").find("fetched"), std::string::npos) << node2.Log("n2");
  EXPECT_NE(node2.Log("n2").find("WARM"), std::string::npos) << node2.Log("n2");
}

TEST_F(AgentTest, AJobAnAgentCannotRunIsHandedBackAndRunByAHealthyOne) {
  const std::string base = "file://" + repos_.path().string();
  AgentHarness a({.git_base_url = base, .consumer = "a"});
  // a's work directory becomes a file: no job directory can be made under it.
  const auto work = a.root() / "work";
  std::filesystem::remove_all(work);
  testing::WriteFile(work, "not a directory\n");
  a.Enqueue(Job("moved", R"("branch": "main")"));
  ASSERT_TRUE(testing::WaitFor([&] { return a.agent().LocalFault().has_value(); }));
  EXPECT_FALSE(a.agent().Ready());
  EXPECT_EQ(a.Field("moved", "state"), "queued");
  AgentHarness b({.git_base_url = base, .consumer = "b", .redis_url = a.redis().url()});
  ASSERT_EQ(a.WaitFinal("moved"), "succeeded") << a.Field("moved", "error");
  EXPECT_EQ(a.Field("moved", "agent"), "b");
  EXPECT_EQ(a.Field("moved", "attempt"), "2");
  const std::string handbacks = a.Field("moved", "handbacks");
  EXPECT_NE(handbacks.find(R"("agent":"a","attempt":1)"), std::string::npos) << handbacks;
  EXPECT_NE(handbacks.find("cannot create the job's directory " + work.string()), std::string::npos)
      << handbacks;
  ASSERT_TRUE(a.agent().LocalFault().has_value());
  EXPECT_FALSE(a.agent().Ready());
  std::filesystem::remove(work);  // the fault clears: a takes jobs again
  EXPECT_TRUE(testing::WaitFor([&] { return a.agent().Ready(); }));
  EXPECT_TRUE(testing::WaitFor([&] { return a.PendingCount() == 0; }));
}

TEST_F(AgentTest, ASecondAgentUnderALiveAgentsNameRefusesToStart) {
  auto& a = Start({.consumer = "same"});
  const auto instance = [&] { return a.redis().Cli({"HGET", "ci:agent:same", "instance"}); };
  ASSERT_TRUE(testing::WaitFor([&] { return !instance().empty(); }));
  const std::string first = instance();
  AgentHarness twin({.git_base_url = "file://" + repos_.path().string(),
                     .consumer = "same",
                     .redis_url = a.redis().url()});
  ASSERT_TRUE(testing::WaitFor([&] { return twin.exit_code().has_value(); }));
  EXPECT_EQ(twin.exit_code(), 2);
  EXPECT_EQ(instance(), first);
  a.Enqueue(Job("still-one", R"("branch": "main")"));
  EXPECT_EQ(a.WaitFinal("still-one"), "succeeded");
}

TEST_F(AgentTest, AnAgentStartsOnceTheHeartbeatUnderItsNameExpires) {
  auto& a = Start();
  // What a predecessor killed a moment ago leaves: its heartbeat, no longer renewed.
  a.redis().Cli({"HSET", "ci:agent:reborn", "instance", "0123dead", "last_seen", "earlier"});
  a.redis().Cli({"PEXPIRE", "ci:agent:reborn", "1500"});
  AgentHarness reborn({.git_base_url = "file://" + repos_.path().string(),
                       .consumer = "reborn",
                       .redis_url = a.redis().url()});
  const auto instance = [&] { return a.redis().Cli({"HGET", "ci:agent:reborn", "instance"}); };
  ASSERT_TRUE(testing::WaitFor([&] { return !instance().empty() && instance() != "0123dead"; }));
  EXPECT_FALSE(reborn.exit_code().has_value());
}

TEST_F(AgentTest, TakingANameOverStopsTheAgentThatHeldIt) {
  auto& a = Start({.consumer = "same"});
  const auto instance = [&] { return a.redis().Cli({"HGET", "ci:agent:same", "instance"}); };
  ASSERT_TRUE(testing::WaitFor([&] { return !instance().empty(); }));
  const std::string first = instance();
  AgentHarness next({.git_base_url = "file://" + repos_.path().string(),
                     .consumer = "same",
                     .redis_url = a.redis().url(),
                     .take_over = true});
  ASSERT_TRUE(testing::WaitFor([&] { return a.exit_code().has_value(); }));
  EXPECT_EQ(a.exit_code(), 2);
  EXPECT_FALSE(next.exit_code().has_value());
  EXPECT_NE(instance(), first);
  EXPECT_FALSE(instance().empty());  // the old one's drain left the new one's heartbeat
  a.Enqueue(Job("by-next", R"("branch": "main")"));
  EXPECT_EQ(a.WaitFinal("by-next"), "succeeded");
}

class AgentHttpTest : public AgentTest {
 protected:
  AgentHttpTest() : server_(repos_.path(), "ci-bot", "s3cret-token-value") {
    testing::WriteFile(token_dir_.path() / "token", "s3cret-token-value\n");
    testing::WriteFile(token_dir_.path() / "wrong", "wrong-token-value\n");
  }
  testing::TempDir token_dir_{"raibid-token"};
  testing::GitHttpServer server_;
};

TEST_F(AgentHttpTest, ClonesOverSmartHttpWithTheTokenAndNeverShowsIt) {
  auto& h = Start({.git_base_url = server_.auth_base_url(),
                   .credentials = GitCredentials{.username = "ci-bot",
                                                 .token_file = token_dir_.path() / "token"},
                   .secret = "s3cret-token-value"});
  h.Enqueue(Job("http", R"("branch": "main", "pipeline": {"steps": [
    {"name": "a", "command": "git remote -v; cat README"}]})"));
  ASSERT_EQ(h.WaitFinal("http"), "succeeded") << h.Field("http", "error");
  std::string everything = h.Log("http") + h.redis().Cli({"HGETALL", "ci:job:http"}) +
                           h.redis().Cli({"XRANGE", "ci-status", "-", "+"});
  EXPECT_NE(everything.find("two\n"), std::string::npos);
  EXPECT_EQ(everything.find("s3cret-token-value"), std::string::npos);
}

TEST_F(AgentHttpTest, WrongCredentialsFailAsASourceError) {
  auto& h = Start({.git_base_url = server_.auth_base_url(),
                   .credentials = GitCredentials{.username = "ci-bot",
                                                 .token_file = token_dir_.path() / "wrong"},
                   .secret = "wrong-token-value"});
  h.Enqueue(Job("denied", R"("branch": "main")"));
  ASSERT_EQ(h.WaitFinal("denied"), "failed");
  EXPECT_EQ(h.Field("denied", "error_kind"), "source");
  EXPECT_EQ(h.Field("denied", "error").find("wrong-token-value"), std::string::npos);
}

// What a step of this agent can see of it, written to a file outside the job's directories so the
// log's masking cannot hide anything: its environment and the argv of its shell and reaper.
std::string StepSnooping(const std::filesystem::path& out) {
  return R"({"name": "snoop", "command": "{ printenv; tr '\\\\0' ' ' < /proc/$$/cmdline; tr '\\\\0' ' ' < /proc/$PPID/cmdline; } > )" +
         out.string() + R"("})";
}

TEST_F(AgentHttpTest, StepsSeeNoCredentialOfTheAgentInTheirEnvironmentOrArgv) {
  setenv("REDIS_PASSWORD", "redis-secret-in-agent-env", 1);
  testing::OciRegistry registry({.username = "ci", .password = "registry-secret"});
  auto& h = Start({.git_base_url = server_.auth_base_url(),
                   .credentials = GitCredentials{.username = "ci-bot",
                                                 .token_file = token_dir_.path() / "token"},
                   .secret = "s3cret-token-value",
                   .registry = RegistryConfig{.url = registry.url(),
                                              .username = "ci",
                                              .password = "registry-secret",
                                              .insecure = true}});
  const auto seen = token_dir_.path() / "seen";
  h.Enqueue(
      Job("snoop", R"("branch": "main", "pipeline": {"steps": [)" + StepSnooping(seen) + "]}"));
  const std::string state = h.WaitFinal("snoop");
  unsetenv("REDIS_PASSWORD");
  ASSERT_EQ(state, "succeeded") << h.Field("snoop", "error") << h.Log("snoop");
  const std::string step_saw = testing::ReadFile(seen);
  EXPECT_NE(step_saw.find("RAIBID_JOB_ID=snoop\n"), std::string::npos) << step_saw;
  EXPECT_NE(step_saw.find("PATH="), std::string::npos) << step_saw;
  for (const std::string& leak : std::vector<std::string>{
           "REDIS_PASSWORD", "redis-secret-in-agent-env", "s3cret-token-value", "registry-secret",
           (token_dir_.path() / "token").string(), "ASKPASS", "GIT_"}) {
    EXPECT_EQ(step_saw.find(leak), std::string::npos) << leak << " in " << step_saw;
  }
}

TEST_F(AgentHttpTest, StepsOfTheShellUserCannotReadTheAgentsTokenOrEnvironment) {
  if (geteuid() != 0) GTEST_SKIP() << "switching users needs root";
  std::filesystem::permissions(token_dir_.path(), std::filesystem::perms(0755));
  std::filesystem::permissions(token_dir_.path() / "token", std::filesystem::perms(0600));
  auto& h = Start({.git_base_url = server_.auth_base_url(),
                   .credentials = GitCredentials{.username = "ci-bot",
                                                 .token_file = token_dir_.path() / "token"},
                   .secret = "s3cret-token-value",
                   .shell = {.user = "65534:65534"}});
  std::filesystem::permissions(h.root(), std::filesystem::perms(0755));  // reachable, as /var/lib
  h.Enqueue(
      Job("nobody", R"("branch": "main", "pipeline": {"steps": [{"name": "try", "command":
    "id -u\n! cat )" + (token_dir_.path() / "token").string() +
                        R"(\n! cat /proc/)" + std::to_string(getpid()) +
                        R"(/environ\ngit log -1 --format=%s\necho built > out\ncat out"}]})"));
  ASSERT_EQ(h.WaitFinal("nobody"), "succeeded") << h.Field("nobody", "error") << h.Log("nobody");
  const std::string log = h.Log("nobody");
  EXPECT_NE(log.find("65534\n"), std::string::npos) << log;
  EXPECT_NE(log.find("token: Permission denied"), std::string::npos) << log;
  EXPECT_NE(log.find("environ: Permission denied"), std::string::npos) << log;
  EXPECT_NE(log.find("built\n"), std::string::npos) << log;
}

}  // namespace
}  // namespace raibid
