// The binary as users run it: commands, exit codes, a daemon driven by signals.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <thread>

#include "process/run_command.h"
#include "support/git_repo.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

using testing::TempDir;
using testing::WriteFile;

CommandResult Agent(std::vector<std::string> args) {
  args.insert(args.begin(), RAIBID_AGENT_BINARY);
  auto r = RunCommand(
      {.argv = args, .unset_env = {"RAIBID_CONFIG"}, .timeout = std::chrono::seconds(60)});
  EXPECT_TRUE(r.has_value());
  return r.value_or(CommandResult{.exit_code = -1});
}

TEST(Cli, VersionAndHelp) {
  EXPECT_NE(Agent({"--version"}).out.find("raibid-agent "), std::string::npos);
  auto help = Agent({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* cmd : {"run", "submit", "status", "logs", "cancel", "validate"}) {
    EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd;
  }
}

TEST(Cli, UsageErrorsExitTwo) {
  EXPECT_EQ(Agent({}).exit_code, 2);
  EXPECT_EQ(Agent({"status"}).exit_code, 2);
  EXPECT_EQ(Agent({"run", "--no-such-flag"}).exit_code, 2);
}

TEST(Cli, ValidateReportsFileLineAndColumn) {
  TempDir dir;
  WriteFile(dir.path() / "good.yaml", "steps:\n  - name: a\n    command: echo hi\n");
  WriteFile(dir.path() / "bad.yaml", "steps:\n  - name: a\n");
  auto good = Agent({"validate", (dir.path() / "good.yaml").string()});
  EXPECT_EQ(good.exit_code, 0);
  EXPECT_NE(good.out.find("ok (1 step)"), std::string::npos);
  auto bad = Agent({"validate", (dir.path() / "bad.yaml").string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err.rfind((dir.path() / "bad.yaml").string() + ":2:", 0), 0u) << bad.err;
  EXPECT_EQ(Agent({"validate", (dir.path() / "missing.yaml").string()}).exit_code, 1);
}

TEST(Cli, ValidateAppliesTheRulesAJobAppliesBeforeRunning) {
  TempDir dir;
  WriteFile(dir.path() / "etc.yaml",
            "cache:\n  paths: [\"/etc\"]\nsteps:\n  - name: a\n    command: make\n");
  auto etc = Agent({"validate", (dir.path() / "etc.yaml").string()});
  EXPECT_EQ(etc.exit_code, 1) << etc.out;
  EXPECT_EQ(etc.err, (dir.path() / "etc.yaml").string() +
                         ": cache.paths: '/etc' must stay inside the workspace or under ~/\n");
  WriteFile(dir.path() / "art.yaml",
            "artifacts:\n  paths: [\"../secret\"]\nsteps:\n  - name: a\n    command: make\n");
  auto art = Agent({"validate", (dir.path() / "art.yaml").string()});
  EXPECT_EQ(art.exit_code, 1) << art.out;
  EXPECT_NE(art.err.find("artifacts.paths"), std::string::npos) << art.err;
}

TEST(Cli, ValidateOfADirectoryReadsItsRaibidYaml) {
  TempDir dir;
  auto none = Agent({"validate", dir.path().string()});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_EQ(none.err,
            (dir.path() / ".raibid.yaml").string() + ": cannot read: No such file or directory\n");
  WriteFile(dir.path() / ".raibid.yaml", "steps:\n  - name: a\n    command: make\n");
  auto found = Agent({"validate", dir.path().string()});
  EXPECT_EQ(found.exit_code, 0) << found.err;
  EXPECT_EQ(found.out, (dir.path() / ".raibid.yaml").string() + ": ok (1 step)\n");
}

TEST(Cli, ValidateOfAMissingFileGivesTheReason) {
  TempDir dir;
  auto r = Agent({"validate", (dir.path() / "missing.yaml").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            (dir.path() / "missing.yaml").string() + ": cannot read: No such file or directory\n");
}

TEST(Cli, SubmitRefusesUnknownJobKeysUnlessAllowed) {
  testing::RedisServer redis;
  TempDir dir;
  WriteFile(dir.path() / "job.json",
            R"({"repository": "a/b", "branch": "main", "timout_minutes": 0.05})");
  auto refused = Agent({"submit", "--redis", redis.url(), (dir.path() / "job.json").string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("unknown key 'timout_minutes' (did you mean 'timeout_minutes'?)"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("--allow-unknown"), std::string::npos) << refused.err;
  EXPECT_EQ(redis.Cli({"XLEN", "ci-jobs"}), "0");
  auto allowed = Agent(
      {"submit", "--redis", redis.url(), "--allow-unknown", (dir.path() / "job.json").string()});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.err;
  EXPECT_EQ(redis.Cli({"XLEN", "ci-jobs"}), "1");
}

TEST(Cli, SubmitQueueEnqueuesOnThatStreamAndWarnsWhenNoAgentReadsIt) {
  testing::RedisServer redis;
  TempDir dir;
  WriteFile(dir.path() / "job.json", R"({"repository": "a/b", "branch": "main"})");
  auto r = Agent({"submit", "--redis", redis.url(), "--queue", "ci-jobs:linux-arm64",
                  (dir.path() / "job.json").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(redis.Cli({"XLEN", "ci-jobs:linux-arm64"}), "1");
  EXPECT_EQ(redis.Cli({"XLEN", "ci-jobs"}), "0");
  EXPECT_NE(r.err.find("no agent reads ci-jobs:linux-arm64 yet"), std::string::npos) << r.err;
  redis.Cli({"XGROUP", "CREATE", "ci-jobs:linux-arm64", "ci-workers", "0"});
  r = Agent({"submit", "--redis", redis.url(), "--queue", "ci-jobs:linux-arm64",
             (dir.path() / "job.json").string()});
  EXPECT_EQ(r.err, "");
}

TEST(Cli, OneShotFlagsAreDescribedAndChecked) {
  auto help = Agent({"run", "--help"});
  for (const char* flag : {"--once", "--max-jobs", "--exit-after-idle"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }
  EXPECT_EQ(Agent({"run", "--once", "--max-jobs", "2"}).exit_code, 2);
  auto bad = Agent({"run", "--redis", "redis://127.0.0.1:1", "--exit-after-idle", "soon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--exit-after-idle: expected a duration like 30s or 5m, got 'soon'"),
            std::string::npos)
      << bad.err;
}

TEST(Cli, AJobMissingARequiredKeyNamesTheUnknownOne) {
  testing::RedisServer redis;
  TempDir dir;
  WriteFile(dir.path() / "job.json", R"({"repository": "a/b", "brnach": "main"})");
  auto r = Agent(
      {"submit", "--redis", redis.url(), "--allow-unknown", (dir.path() / "job.json").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("commit, branch or tag: at least one is required; unknown key 'brnach' "
                       "(did you mean 'branch'?)"),
            std::string::npos)
      << r.err;
}

TEST(Cli, CancellingAQueuedJobShowsCancelledAtOnce) {
  testing::RedisServer redis;
  TempDir dir;
  WriteFile(dir.path() / "job.json", R"({"job_id": "q1", "repository": "a/b", "branch": "m"})");
  ASSERT_EQ(Agent({"submit", "--redis", redis.url(), (dir.path() / "job.json").string()}).exit_code,
            0);
  auto cancel = Agent({"cancel", "--redis", redis.url(), "q1"});
  EXPECT_EQ(cancel.exit_code, 0);
  EXPECT_NE(cancel.out.find("job q1 cancelled"), std::string::npos) << cancel.out;
  auto status = Agent({"status", "--redis", redis.url(), "--json", "q1"});
  ASSERT_EQ(status.exit_code, 0);
  auto parsed = nlohmann::json::parse(status.out);
  EXPECT_EQ(parsed["state"], "cancelled");
  EXPECT_EQ(parsed["error_kind"], "cancelled");
}

// No agent ever takes the job: following it says so; Ctrl-C says the job stays and how to go on.
TEST(Cli, FollowingAJobNoAgentTakesSaysSoAndCtrlCSaysItGoesOn) {
  testing::RedisServer redis;
  TempDir dir;
  WriteFile(dir.path() / "job.json", R"({"job_id": "w1", "repository": "a/b", "branch": "m"})");
  const auto out = dir.path() / "submit.out";
  testing::ServerProcess submit({RAIBID_AGENT_BINARY, "submit", "--redis", redis.url(), "--follow",
                                 (dir.path() / "job.json").string()},
                                out.string());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (testing::ReadFile(out).find("still queued") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(testing::ReadFile(out).find(
                "job w1 is still queued after 5s: no agent has joined consumer group ci-workers"),
            std::string::npos)
      << testing::ReadFile(out);
  ASSERT_EQ(::kill(submit.pid(), SIGINT), 0);
  EXPECT_EQ(submit.WaitExit(), 130);
  const std::string text = testing::ReadFile(out);
  EXPECT_NE(text.find("job w1 keeps waiting for an agent (state: queued)"), std::string::npos)
      << text;
  EXPECT_NE(text.find("raibid-agent cancel w1"), std::string::npos) << text;
  EXPECT_NE(text.find("raibid-agent logs --follow w1"), std::string::npos) << text;
}

TEST(Cli, UnknownJobsExitOneSayingSo) {
  testing::RedisServer redis;
  for (const char* cmd : {"status", "logs", "cancel"}) {
    auto r = Agent({cmd, "--redis", redis.url(), "nope"});
    EXPECT_EQ(r.exit_code, 1) << cmd;
    EXPECT_NE(r.err.find("job nope not found"), std::string::npos) << r.err;
  }
}

TEST(Cli, BadConfigurationFailsAtStartNamingKeyAndLine) {
  TempDir dir;
  WriteFile(dir.path() / "agent.yaml", "agent:\n  concurrency: many\n");
  auto r = Agent({"run", "--config", (dir.path() / "agent.yaml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("agent.concurrency"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(":2:"), std::string::npos) << r.err;
}

TEST(Cli, AnUnreadableSecretFileStopsTheAgentAtStartNamingIt) {
  TempDir dir;
  const auto missing = dir.path() / "no-such-secret";
  WriteFile(dir.path() / "agent.yaml",
            "agent:\n  secrets:\n    NPM_TOKEN: \"" + missing.string() + "\"\n");
  auto r = Agent({"run", "--config", (dir.path() / "agent.yaml").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("secrets.NPM_TOKEN: cannot read " + missing.string()), std::string::npos)
      << r.err;
}

class CliDaemonTest : public ::testing::Test {
 protected:
  CliDaemonTest() : repo_(dir_.path() / "repo") {
    repo_.Commit(
        {{".raibid.yaml", "steps:\n  - name: greet\n    command: echo hello-$RAIBID_JOB_ID\n"}});
    WriteFile(dir_.path() / "agent.yaml",
              "agent:\n  http:\n    listen: \"127.0.0.1:0\"\n  redis:\n    url: \"" + redis_.url() +
                  "\"\n    consumer_name: cli-agent\n"
                  "  work_dir: \"" +
                  (dir_.path() / "work").string() +
                  "\"\n"
                  "  cache:\n    path: \"" +
                  (dir_.path() / "cache").string() + "\"\n");
    daemon_ = std::make_unique<testing::ServerProcess>(
        std::vector<std::string>{RAIBID_AGENT_BINARY, "run", "--config",
                                 (dir_.path() / "agent.yaml").string()},
        (dir_.path() / "agent.log").string());
  }
  std::string WriteJob(const std::string& name, const std::string& json) {
    WriteFile(dir_.path() / name, json);
    return (dir_.path() / name).string();
  }
  testing::RedisServer redis_;
  TempDir dir_;
  testing::GitRepo repo_;
  std::unique_ptr<testing::ServerProcess> daemon_;
};

TEST_F(CliDaemonTest, SubmitFollowStatusLogsAndSigterm) {
  auto job = WriteJob("job.json", R"({"job_id": "cli-1", "repository": ")" + repo_.file_url() +
                                      R"(", "branch": "main"})");
  auto submitted = Agent({"submit", "--redis", redis_.url(), "--follow", job});
  EXPECT_EQ(submitted.exit_code, 0)
      << submitted.out << submitted.err << testing::ReadFile(dir_.path() / "agent.log");
  EXPECT_EQ(submitted.out.rfind("cli-1\n", 0), 0u);
  EXPECT_NE(submitted.out.find("hello-cli-1"), std::string::npos);

  auto status = Agent({"status", "--redis", redis_.url(), "--json", "cli-1"});
  ASSERT_EQ(status.exit_code, 0);
  auto parsed = nlohmann::json::parse(status.out);
  EXPECT_EQ(parsed["state"], "succeeded");
  EXPECT_EQ(parsed["steps"][0]["name"], "greet");

  auto logs = Agent({"logs", "--redis", redis_.url(), "cli-1"});
  EXPECT_EQ(logs.exit_code, 0);
  EXPECT_NE(logs.out.find("hello-cli-1"), std::string::npos);

  EXPECT_EQ(daemon_->Terminate(), 0) << testing::ReadFile(dir_.path() / "agent.log");
}

TEST_F(CliDaemonTest, SubmitFollowExitsOneForAFailedJobAndGeneratesAnId) {
  auto job = WriteJob(
      "job.json",
      R"({"repository": ")" + repo_.file_url() +
          R"(", "branch": "main", "pipeline": {"steps": [{"name": "x", "command": "exit 4"}]}})");
  auto submitted = Agent({"submit", "--redis", redis_.url(), "--follow", job});
  EXPECT_EQ(submitted.exit_code, 1);
  EXPECT_EQ(submitted.out.rfind("job-", 0), 0u) << submitted.out;
}

// Two steps that run at the same time (each waits for the other's mark): their lines carry the
// step's name, in `submit --follow` and in `logs` afterwards; a step alone keeps plain lines.
TEST_F(CliDaemonTest, LinesOfStepsThatRanAtTheSameTimeNameTheirStep) {
  const std::string wait =
      R"(i=0; while [ ! -e $OTHER ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; echo done-$RAIBID_STEP)";
  auto job = WriteJob("job.json", R"({"job_id": "fan", "repository": ")" + repo_.file_url() +
                                      R"(", "branch": "main", "pipeline": {"steps": [
    {"name": "lint", "depends_on": [], "command": "touch a.mark; OTHER=b.mark; )" +
                                      wait + R"("},
    {"name": "test", "depends_on": [], "command": "touch b.mark; OTHER=a.mark; )" +
                                      wait + R"("},
    {"name": "after", "depends_on": ["lint", "test"], "command": "echo alone"}]}})");
  auto submitted = Agent({"submit", "--redis", redis_.url(), "--follow", job});
  EXPECT_EQ(submitted.exit_code, 0) << submitted.out << submitted.err;
  auto logs = Agent({"logs", "--redis", redis_.url(), "fan"});
  EXPECT_EQ(logs.exit_code, 0);
  for (const auto& out : {submitted.out, logs.out}) {
    EXPECT_NE(out.find("[lint] done-lint\n"), std::string::npos) << out;
    EXPECT_NE(out.find("[test] done-test\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nalone\n"), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace raibid
