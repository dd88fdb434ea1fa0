// The agent under the least-privilege Redis user docs/security.md documents: real redis-server
// with that ACL user, real git, the shell executor. Every command the core loop sends (claiming,
// running, logging, status, cancelling, acknowledging, heartbeats, trimming) must be allowed.
#include <gtest/gtest.h>

#include "support/agent_harness.h"
#include "support/git_repo.h"

namespace raibid {
namespace {

// The rules of docs/security.md ("A Redis user with least privilege"), word for word.
const std::vector<std::string> kAgentAcl = {"on",
                                            ">agent-secret",
                                            "resetkeys",
                                            "~ci-jobs",
                                            "~ci-jobs:*",
                                            "~ci-status",
                                            "~ci:*",
                                            "resetchannels",
                                            "&ci:cancel",
                                            "-@all",
                                            "+auth",
                                            "+hello",
                                            "+ping",
                                            "+select",
                                            "+role",
                                            "+type",
                                            "+exists",
                                            "+expire",
                                            "+del",
                                            "+hset",
                                            "+hget",
                                            "+hmget",
                                            "+hgetall",
                                            "+multi",
                                            "+exec",
                                            "+watch",
                                            "+unwatch",
                                            "+eval",
                                            "+hincrby",
                                            "+xadd",
                                            "+xack",
                                            "+xclaim",
                                            "+xautoclaim",
                                            "+xreadgroup",
                                            "+xpending",
                                            "+xrange",
                                            "+xtrim",
                                            "+xlen",
                                            "+xgroup|create",
                                            "+xgroup|delconsumer",
                                            "+xinfo|groups",
                                            "+xinfo|consumers",
                                            "+subscribe",
                                            "+unsubscribe",
                                            "+publish",
                                            "+config|get"};

class AclTest : public ::testing::Test {
 protected:
  AclTest() : repos_("raibid-repos"), repo_(repos_.path() / "acme" / "app.git") {
    repo_.Commit({{"README", "one\n"}});
    std::vector<std::string> args = {"ACL", "SETUSER", "raibid-agent"};
    args.insert(args.end(), kAgentAcl.begin(), kAgentAcl.end());
    EXPECT_EQ(redis_.Cli(args), "OK");
  }
  std::string Submit(const std::string& id, const std::string& command) {
    return redis_.Cli({"XADD", "ci-jobs", "*", "job",
                       R"({"job_id": ")" + id +
                           R"(", "repository": "acme/app", "branch": "main", )"
                           R"("pipeline": {"steps": [{"name": "s", "command": ")" +
                           command + R"("}]}})"});
  }
  std::string State(const std::string& id) { return redis_.Cli({"HGET", "ci:job:" + id, "state"}); }

  testing::RedisServer redis_;
  testing::TempDir repos_;
  testing::GitRepo repo_;
};

TEST_F(AclTest, TheCoreLoopRunsUnderTheDocumentedLeastPrivilegeUser) {
  auto agent = std::make_unique<testing::AgentHarness>(testing::HarnessOptions{
      .git_base_url = "file://" + repos_.path().string(),
      .redis_url = "redis://raibid-agent:agent-secret@127.0.0.1:" + std::to_string(redis_.port()),
      .lease_seconds = 2});
  Submit("ok", "echo built");
  Submit("bad", "exit 3");
  Submit("long", "echo started; sleep 300");
  EXPECT_TRUE(testing::WaitFor([&] { return State("ok") == "succeeded"; })) << State("ok");
  EXPECT_TRUE(testing::WaitFor([&] { return State("bad") == "failed"; })) << State("bad");
  ASSERT_TRUE(testing::WaitFor([&] { return State("long") == "running"; })) << State("long");
  // Two heartbeats apart: the housekeeper renewed the running job's lease in between, and the
  // consumer loop looked for abandoned entries (every half lease).
  const std::string seen = redis_.Cli({"HGET", "ci:agent:test-agent", "last_seen"});
  auto last_seen = [&] { return redis_.Cli({"HGET", "ci:agent:test-agent", "last_seen"}); };
  EXPECT_TRUE(testing::WaitFor([&] { return last_seen() != seen; }));
  EXPECT_TRUE(agent->agent().Ready());
  redis_.Cli({"HSET", "ci:job:long", "cancel_requested", "1"});
  redis_.Cli({"PUBLISH", "ci:cancel", "long"});
  EXPECT_TRUE(testing::WaitFor([&] { return State("long") == "cancelled"; })) << State("long");
  agent.reset();  // a drain: leaves the group
  EXPECT_EQ(redis_.Cli({"XPENDING", "ci-jobs", "ci-workers"}).substr(0, 1), "0");
  EXPECT_EQ(redis_.Cli({"ACL", "LOG"}), "") << "a command the documented user may not send";
}

}  // namespace
}  // namespace raibid
