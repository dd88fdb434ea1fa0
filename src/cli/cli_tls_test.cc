// The client commands and the daemon on a Redis that serves TLS only, configured by one file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "process/run_command.h"
#include "support/git_repo.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"
#include "support/test_pki.h"

namespace raibid {
namespace {

using ::testing::HasSubstr;
using testing::WriteFile;

class CliTlsTest : public ::testing::Test {
 protected:
  CliTlsTest() : repo_(dir_.path() / "repo") {
    repo_.Commit({{"README", "x\n"}});
    config_ = WriteConfig("agent.yaml", pki_.ca());
    daemon_ = std::make_unique<testing::ServerProcess>(
        std::vector<std::string>{RAIBID_AGENT_BINARY, "run", "--config", config_},
        (dir_.path() / "agent.log").string());
  }
  std::string WriteConfig(const std::string& name, const std::filesystem::path& ca) {
    WriteFile(dir_.path() / name,
              "agent:\n  http:\n    listen: \"127.0.0.1:0\"\n  redis:\n    url: \"" + redis_.url() +
                  "\"\n    consumer_name: tls-cli\n    tls:\n      ca_file: \"" + ca.string() +
                  "\"\n  work_dir: \"" + (dir_.path() / "work").string() +
                  "\"\n  cache:\n    path: \"" + (dir_.path() / "cache").string() + "\"\n");
    return (dir_.path() / name).string();
  }
  CommandResult Agent(std::vector<std::string> args, const std::string& config) {
    args.insert(args.begin(), {RAIBID_AGENT_BINARY, "--config", config});
    auto r = RunCommand({.argv = args, .timeout = std::chrono::seconds(60)});
    return r.value_or(CommandResult{.exit_code = -1});
  }
  std::string WriteJob(const std::string& id, const std::string& command) {
    WriteFile(dir_.path() / (id + ".json"),
              R"({"job_id": ")" + id + R"(", "repository": ")" + repo_.file_url() +
                  R"(", "branch": "main", "pipeline": {"steps": [{"name": "s", "command": ")" +
                  command + R"("}]}})");
    return (dir_.path() / (id + ".json")).string();
  }

  testing::TestPki pki_;
  testing::RedisServer redis_{
      false, testing::RedisTlsFiles{
                 .ca = pki_.ca(), .cert = pki_.server_cert(), .key = pki_.server_key()}};
  testing::TempDir dir_;
  testing::GitRepo repo_;
  std::string config_;
  std::unique_ptr<testing::ServerProcess> daemon_;
};

TEST_F(CliTlsTest, SubmitStatusLogsAndCancelWorkOverTls) {
  auto submitted = Agent({"submit", "--follow", WriteJob("tls-1", "echo hello-over-tls")}, config_);
  ASSERT_EQ(submitted.exit_code, 0)
      << submitted.err << testing::ReadFile(dir_.path() / "agent.log");
  EXPECT_THAT(submitted.out, HasSubstr("hello-over-tls"));
  EXPECT_THAT(Agent({"status", "tls-1"}, config_).out, HasSubstr("succeeded"));
  EXPECT_THAT(Agent({"logs", "--follow", "tls-1"}, config_).out, HasSubstr("hello-over-tls"));

  ASSERT_EQ(
      Agent({"submit", WriteJob("tls-2", "echo $((6*7))-ticks; sleep 300")}, config_).exit_code, 0);
  auto started = [&] {
    return Agent({"logs", "tls-2"}, config_).out.find("42-ticks") != std::string::npos;
  };
  ASSERT_TRUE(testing::WaitFor(started));
  EXPECT_EQ(Agent({"cancel", "tls-2"}, config_).exit_code, 0);
  auto followed = Agent({"logs", "--follow", "tls-2"}, config_);  // returns once it ends
  EXPECT_THAT(Agent({"status", "tls-2"}, config_).out, HasSubstr("cancelled")) << followed.out;
}

TEST_F(CliTlsTest, AClientCommandWithTheWrongCaFailsSayingWhy) {
  auto r = Agent({"status", "nope"}, WriteConfig("wrong-ca.yaml", pki_.other_ca()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("certificate verify failed (unknown CA)"));
}

TEST_F(CliTlsTest, TlsSettingsBesideAPlainUrlAreRefused) {
  auto r = Agent({"status", "--redis", "redis://127.0.0.1:1", "nope"}, config_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("not rediss://"));
}

}  // namespace
}  // namespace raibid
