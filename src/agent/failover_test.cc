// An agent on a Redis behind Sentinel while the master dies: real redis-server master and replica,
// real sentinels, real git, the shell executor. Every job submitted ends in a final state on the
// new master; the agent follows the failover without a restart.
#include <gtest/gtest.h>

#include "support/agent_harness.h"
#include "support/git_repo.h"
#include "support/redis_sentinels.h"

namespace raibid {
namespace {

using testing::RedisSentinels;

class FailoverTest : public ::testing::Test {
 protected:
  FailoverTest() : repos_("raibid-repos"), repo_(repos_.path() / "acme" / "app.git") {
    repo_.Commit({{"README", "one\n"}});
  }
  // Submits a job to whichever server is the master now, and waits for a replica to have it:
  // the submitter's side of "nothing lost" (asynchronous replication, docs/reliability.md).
  void Submit(const std::string& id) {
    cluster_.MasterCli(
        {"XADD", "ci-jobs", "*", "job",
         R"({"job_id": ")" + id +
             R"(", "repository": "acme/app", "branch": )"
             R"("main", "pipeline": {"steps": [{"name": "s", "command": "echo ran-)" +
             id + R"("}]}})"});
  }
  std::string State(const std::string& id) {
    return cluster_.MasterCli({"HGET", "ci:job:" + id, "state"});
  }

  testing::TempDir repos_;
  testing::GitRepo repo_;
  RedisSentinels cluster_;
};

TEST_F(FailoverTest, EveryJobEndsFinalAcrossAMasterFailover) {
  testing::AgentHarness agent({.git_base_url = "file://" + repos_.path().string(),
                               .redis_url = cluster_.url(),
                               .lease_seconds = 2});
  for (int i = 0; i < 3; ++i) Submit("before-" + std::to_string(i));
  ASSERT_TRUE(testing::WaitFor([&] { return State("before-2") == "succeeded"; }));
  cluster_.MasterCli({"WAIT", "1", "5000"});  // what the agent wrote, on the replica too
  Submit("during");                           // on the old master, replicated before it dies
  cluster_.MasterCli({"WAIT", "1", "5000"});
  cluster_.KillMasterAndAwaitFailover();
  for (int i = 0; i < 3; ++i) Submit("after-" + std::to_string(i));
  for (const std::string id :
       {"before-0", "before-1", "before-2", "during", "after-0", "after-1", "after-2"}) {
    EXPECT_TRUE(
        testing::WaitFor([&] { return State(id) == "succeeded"; }, std::chrono::seconds(60)))
        << id << " is " << State(id);
  }
  EXPECT_EQ(cluster_.MasterPort(), cluster_.replica().port());
}

}  // namespace
}  // namespace raibid
