#include "source/mirror_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/temp_dir.h"

namespace raibid {
namespace {

// Whether another open file description (what another thread or process gets) could take the
// lock in `mode` right now.
bool Available(const std::filesystem::path& path, int mode) {
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CLOEXEC));
  return fd.valid() && flock(fd.get(), mode | LOCK_NB) == 0;
}

// The same question asked from a child process.
bool AvailableInChild(const std::filesystem::path& path, int mode) {
  pid_t pid = fork();
  if (pid == 0) _exit(Available(path, mode) ? 0 : 1);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class MirrorLockTest : public ::testing::Test {
 protected:
  testing::TempDir tmp_;
  std::filesystem::path path_ = tmp_.path() / "m.lock";
};

TEST_F(MirrorLockTest, ExclusiveKeepsOutEveryoneElse) {
  auto lock = MirrorLock::Open(path_);
  ASSERT_TRUE(lock);
  ASSERT_TRUE(lock->LockExclusive());
  EXPECT_FALSE(Available(path_, LOCK_SH));
  EXPECT_FALSE(AvailableInChild(path_, LOCK_EX));
  lock->Unlock();
  EXPECT_TRUE(Available(path_, LOCK_EX));
}

TEST_F(MirrorLockTest, SharedAdmitsReadersButNoWriter) {
  auto lock = MirrorLock::Open(path_);
  ASSERT_TRUE(lock);
  ASSERT_TRUE(lock->LockShared());
  EXPECT_TRUE(Available(path_, LOCK_SH));
  EXPECT_FALSE(Available(path_, LOCK_EX));
  EXPECT_FALSE(AvailableInChild(path_, LOCK_EX));
}

TEST_F(MirrorLockTest, ReleasedWhenTheObjectGoes) {
  {
    auto lock = MirrorLock::Open(path_);
    ASSERT_TRUE(lock);
    ASSERT_TRUE(lock->LockExclusive());
  }
  EXPECT_TRUE(AvailableInChild(path_, LOCK_EX));
}

TEST_F(MirrorLockTest, OpenFailsInAMissingDirectory) {
  auto lock = MirrorLock::Open(tmp_.path() / "absent" / "m.lock");
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().kind, ErrorKind::kInfrastructure);
}

}  // namespace
}  // namespace raibid
