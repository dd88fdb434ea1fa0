// End to end: a job's disk budget and the agent's pause on a low disk, on a real redis-server,
// real git and the shell executor; the low disk is a real, small tmpfs where one can be mounted.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <fstream>

#include "support/agent_harness.h"
#include "support/git_repo.h"

namespace raibid {
namespace {

using testing::AgentHarness;
using testing::GitRepo;

constexpr uint64_t kMiB = 1 << 20;

// A tmpfs of `bytes` mounted on a fresh directory (root only); unmounted when it goes.
class SmallDisk {
 public:
  explicit SmallDisk(uint64_t bytes) {
    std::filesystem::create_directories(dir_.path() / "disk");
    const std::string options = "size=" + std::to_string(bytes);
    mounted_ = ::mount("tmpfs", path().c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(path().c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  std::filesystem::path path() const { return dir_.path() / "disk"; }

 private:
  testing::TempDir dir_{"raibid-small-disk"};
  bool mounted_ = false;
};

class DiskAgentTest : public ::testing::Test {
 protected:
  DiskAgentTest() : repos_("raibid-repos"), repo_(repos_.path() / "acme" / "app.git") {
    repo_.Commit({{"README", "one\n"}});
  }
  AgentHarness& Start(testing::HarnessOptions options = {}) {
    options.git_base_url = "file://" + repos_.path().string();
    harness_ = std::make_unique<AgentHarness>(std::move(options));
    return *harness_;
  }
  static std::string Job(const std::string& id, const std::string& command) {
    return R"({"job_id": ")" + id +
           R"(", "repository": "acme/app", "branch": "main", "pipeline": {"steps": [)"
           R"({"name": "fill", "command": ")" +
           command + R"("}, {"name": "after", "command": "true"}]}})";
  }

  testing::TempDir repos_;
  GitRepo repo_;
  std::unique_ptr<AgentHarness> harness_;
};

TEST_F(DiskAgentTest, AStepWritingPastTheBudgetIsKilledAndTheWorkspaceRemoved) {
  InputLimits limits;
  limits.workspace_bytes = 5 * kMiB;
  auto& h = Start({.limits = limits});
  // 1 MiB every 0.1 s up to 50 MiB, half in the workspace and half in TMPDIR.
  h.Enqueue(Job("big",
                "for i in $(seq 25); do head -c 1048576 /dev/zero > w$i; "
                "head -c 1048576 /dev/zero > $TMPDIR/t$i; sleep 0.1; done"));
  ASSERT_EQ(h.WaitFinal("big"), "failed") << h.Log("big");
  EXPECT_EQ(h.Field("big", "error_kind"), "disk");
  const std::string error = h.Field("big", "error");
  EXPECT_NE(error.find("over its disk budget agent.limits.workspace_bytes (5 MiB)"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("step 'fill' killed"), std::string::npos) << error;
  const uint64_t peak = std::stoull(h.Field("big", "peak_disk_bytes"));
  EXPECT_GT(peak, 5 * kMiB);
  EXPECT_LT(peak, 50 * kMiB);  // killed well before it wrote everything
  const std::string steps = h.Field("big", "steps");
  EXPECT_NE(steps.find(R"("name":"after","state":"skipped")"), std::string::npos) << steps;
  EXPECT_FALSE(std::filesystem::exists(h.root() / "work" / "big"));
  EXPECT_FALSE(std::filesystem::exists(h.root() / "work" / "big.tmp"));
}

TEST_F(DiskAgentTest, AJobWithinItsBudgetSucceedsAndRecordsItsPeak) {
  InputLimits limits;
  limits.workspace_bytes = 5 * kMiB;
  auto& h = Start({.limits = limits});
  // TMPDIR is the job's own, counted, and removed with the job.
  h.Enqueue(Job("small",
                "case $TMPDIR in */small.tmp) ;; *) exit 9;; esac; "
                "head -c 3000000 /dev/zero > $TMPDIR/t"));
  ASSERT_EQ(h.WaitFinal("small"), "succeeded") << h.Field("small", "error");
  EXPECT_GE(std::stoull(h.Field("small", "peak_disk_bytes")), 3000000u);
  EXPECT_LT(std::stoull(h.Field("small", "peak_disk_bytes")), 5 * kMiB);
  EXPECT_FALSE(std::filesystem::exists(h.root() / "work" / "small.tmp"));
}

TEST_F(DiskAgentTest, ALowWorkDiskHoldsJobsUntilSpaceReturns) {
  SmallDisk disk(16 * kMiB);
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (not root?)";
  const auto ballast = disk.path() / "ballast";
  std::ofstream(ballast) << std::string(12 * kMiB, 'x');
  auto& h = Start({.work_dir = disk.path(), .min_free_disk = 8 * kMiB});
  h.Enqueue(Job("held", "true"));
  ASSERT_TRUE(testing::WaitFor([&] { return h.wired().disk_guard().low(); }));
  const std::string reason = h.wired().disk_guard().reason().value_or("");
  EXPECT_NE(reason.find("work dir " + disk.path().string() + ": "), std::string::npos) << reason;
  EXPECT_NE(reason.find(" free, below agent.min_free_disk (8 MiB)"), std::string::npos);
  EXPECT_NE(h.wired().readiness().NotReady().value_or("").find(reason), std::string::npos);
  EXPECT_EQ(h.PendingCount(), 0);  // not taken
  std::filesystem::remove(ballast);
  ASSERT_EQ(h.WaitFinal("held"), "succeeded") << h.Field("held", "error");
  EXPECT_FALSE(h.wired().disk_guard().low());
}

}  // namespace
}  // namespace raibid
