// The libraries only some jobs need (libcurl, libarchive, and OpenSSL for rediss:// and digests)
// are opened on first use: an idle `raibid-agent run` on plain Redis maps none of them, and a job
// that saves a cache loads libarchive and succeeds.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/git_repo.h"
#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

std::string Maps(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class LazyLibraryTest : public ::testing::Test {
 protected:
  LazyLibraryTest() : repo_(dir_.path() / "repo") {
    repo_.Commit({{"README", "hi\n"}});
    testing::WriteFile(dir_.path() / "agent.yaml",
                       "agent:\n  http:\n    listen: \"127.0.0.1:0\"\n  redis:\n    url: \"" +
                           redis_.url() + "\"\n  work_dir: \"" + (dir_.path() / "work").string() +
                           "\"\n  cache:\n    path: \"" + (dir_.path() / "cache").string() +
                           "\"\n");
    agent_ = std::make_unique<testing::ServerProcess>(
        std::vector<std::string>{RAIBID_AGENT_BINARY, "run", "--config",
                                 (dir_.path() / "agent.yaml").string()},
        (dir_.path() / "agent.log").string());
    EXPECT_TRUE(testing::WaitFor([&] {
      return redis_.Cli({"XINFO", "GROUPS", "ci-jobs"}).find("ci-workers") != std::string::npos;
    }));
  }
  testing::TempDir dir_{"raibid-lazy-lib"};
  testing::RedisServer redis_;
  testing::GitRepo repo_;
  std::unique_ptr<testing::ServerProcess> agent_;
};

TEST_F(LazyLibraryTest, AnIdleAgentMapsNoneOfLibcurlLibarchiveOrOpenSsl) {
  const std::string maps = Maps(agent_->pid());
  ASSERT_NE(maps.find("libc.so"), std::string::npos);  // the maps were read
  for (const char* lib : {"libcurl", "libarchive", "libssl", "libcrypto"}) {
    EXPECT_EQ(maps.find(lib), std::string::npos) << lib;
  }
}

TEST_F(LazyLibraryTest, AJobSavingACacheLoadsLibarchiveAndSucceeds) {
  redis_.Cli({"XADD", "ci-jobs", "*", "job",
              R"({"job_id": "cached", "repository": ")" + repo_.file_url() +
                  R"(", "branch": "main", "cache_enabled": true, "pipeline": {"cache": )"
                  R"({"paths": ["out/"]}, "steps": [{"name": "s", "command": )"
                  R"("mkdir -p out && echo built > out/f"}]}})"});
  auto succeeded = [&] { return redis_.Cli({"HGET", "ci:job:cached", "state"}) == "succeeded"; };
  ASSERT_TRUE(testing::WaitFor(succeeded, std::chrono::seconds(60)))
      << redis_.Cli({"HGET", "ci:job:cached", "error"});
  EXPECT_NE(Maps(agent_->pid()).find("libarchive.so.13"), std::string::npos);
}

}  // namespace
}  // namespace raibid
