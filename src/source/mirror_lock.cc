#include "source/mirror_lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

namespace raibid {

Result<MirrorLock> MirrorLock::Open(const std::filesystem::path& path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    Error error =
        ErrnoError(errno, "cannot open lock " + path.string(), ErrorKind::kInfrastructure, true);
    error.local = true;  // the agent's cache directory, whatever the job
    return std::unexpected(std::move(error));
  }
  return MirrorLock(UniqueFd(fd));
}

Status MirrorLock::Lock(int operation) {
  while (flock(fd_.get(), operation) != 0) {
    if (errno != EINTR) {
      return std::unexpected(ErrnoError(errno, "flock", ErrorKind::kInfrastructure, true));
    }
  }
  return {};
}

Status MirrorLock::LockExclusive() { return Lock(LOCK_EX); }
Status MirrorLock::LockShared() { return Lock(LOCK_SH); }
void MirrorLock::Unlock() { flock(fd_.get(), LOCK_UN); }

}  // namespace raibid
