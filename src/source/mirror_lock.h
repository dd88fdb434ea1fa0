// An flock(2) on a mirror's lock file, kept beside the mirror (not inside it, since a corrupt
// mirror is deleted while the lock is held). Every lock object opens the file itself, so the
// lock excludes other threads of this process as well as other processes sharing the cache.
//
// Exclusive while the mirror is created, fetched into or rebuilt; shared while workspaces are
// checked out from it (readers only need the mirror not to disappear under them).
#pragma once

#include <filesystem>

#include "util/error.h"
#include "util/unique_fd.h"

namespace raibid {

class MirrorLock {
 public:
  // Opens (creating if needed) the lock file. Holds no lock yet.
  static Result<MirrorLock> Open(const std::filesystem::path& path);

  // Block until the lock is held. Switching between the two modes is not atomic: another
  // holder may get in between, so what was checked under one mode must be rechecked.
  Status LockExclusive();
  Status LockShared();
  void Unlock();

  // Released when the object goes (closing the descriptor releases the flock).
 private:
  explicit MirrorLock(UniqueFd fd) : fd_(std::move(fd)) {}
  Status Lock(int operation);

  UniqueFd fd_;
};

}  // namespace raibid
