// WireAgent's checks at start that need no Redis: the agent is built, never run.
#include "agent/wiring.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "support/temp_dir.h"

namespace raibid {
namespace {

// The agent's log while the object lives.
class CapturedLog {
 public:
  CapturedLog()
      : previous_(spdlog::default_logger()),
        logger_(std::make_shared<spdlog::logger>(
            "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_))) {
    spdlog::set_default_logger(logger_);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_, logger_;
};

class WiringTest : public ::testing::Test {
 protected:
  WiringTest() {
    settings_.work_dir = dir_.path() / "work";
    settings_.cache_path = dir_.path() / "cache";
    settings_.redis.consumer = "wiring-test";
  }
  Result<std::unique_ptr<WiredAgent>> Wire(uid_t euid) {
    return WireAgent(settings_, {.reaper = "/proc/self/exe", .euid = euid});
  }
  testing::TempDir dir_;
  Settings settings_;
};

TEST_F(WiringTest, WarnsAtStartWhenShellStepsRunAsTheAgentsOwnUser) {
  CapturedLog log;
  ASSERT_TRUE(Wire(0));
  EXPECT_NE(log.text().find("[warning] steps run as the agent's own user (uid 0): a pipeline can "
                            "read every file the agent can"),
            std::string::npos)
      << log.text();
  EXPECT_NE(log.text().find("run only trusted code"), std::string::npos);
}

TEST_F(WiringTest, DoesNotWarnWhenStepsRunAsAnotherUser) {
  settings_.shell.user = "65534:65534";
  CapturedLog log;
  ASSERT_TRUE(Wire(0));
  EXPECT_EQ(log.text().find("agent's own user"), std::string::npos) << log.text();
}

TEST_F(WiringTest, RefusesAShellUserWhenTheAgentIsNotRoot) {
  settings_.shell.user = "65534:65534";
  auto wired = Wire(1000);
  ASSERT_FALSE(wired);
  EXPECT_EQ(wired.error().kind, ErrorKind::kConfig);
  EXPECT_NE(wired.error().message.find("agent.shell.user: running steps as '65534:65534' needs an "
                                       "agent running as root (this one runs as uid 1000)"),
            std::string::npos)
      << wired.error().message;
}

TEST_F(WiringTest, RefusesAShellUserThatIsNoUser) {
  settings_.shell.user = "raibid-no-such-user";
  auto wired = Wire(0);
  ASSERT_FALSE(wired);
  EXPECT_EQ(wired.error().kind, ErrorKind::kConfig);
  EXPECT_NE(wired.error().message.find("agent.shell.user: 'raibid-no-such-user'"),
            std::string::npos)
      << wired.error().message;
}

TEST_F(WiringTest, AStepLoginNeedsBothItsUserAndItsPasswordFile) {
  settings_.registry_url = "http://127.0.0.1:5000";
  settings_.registry_insecure = true;
  settings_.registry_step_username = "pusher";
  auto wired = Wire(0);
  ASSERT_FALSE(wired);
  EXPECT_NE(wired.error().message.find("agent.registry.step_password_file"), std::string::npos)
      << wired.error().message;
}

TEST_F(WiringTest, ASentinelLoginNeedsASentinelUrl) {
  settings_.redis.sentinel_password = "x";
  auto wired = Wire(0);
  ASSERT_FALSE(wired);
  EXPECT_NE(wired.error().message.find("redis+sentinel://"), std::string::npos)
      << wired.error().message;
}

}  // namespace
}  // namespace raibid
