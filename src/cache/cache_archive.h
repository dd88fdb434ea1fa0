// A cache entry on disk: a tar archive compressed with multi-threaded zstd (libarchive), holding
// directory trees under named prefixes ("w/target/...", "h/.cargo/..."). Written to a temporary
// name and renamed, so a crash never leaves a half entry; read back with libarchive's secure
// extraction (no "..", no absolute paths, no writing through symlinks), so a corrupt or hostile
// entry cannot write outside the roots it is restored into. Both directions also check paths
// with util/path_guard.h: a save refuses a path that leads (through a symlink a step made) out
// of its root, and a restore refuses, before writing it, an entry whose name is absolute, has a
// ".." component or would be written through a symlink out of its root.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "util/error.h"
#include "util/input_limits.h"

namespace raibid {

struct ArchiveRoot {
  std::string prefix;               // "w" (workspace), "h" (the job's cache home)
  std::filesystem::path directory;  // where the prefix's paths live on disk
  std::vector<std::string> paths;   // relative paths under `directory` to keep (files or trees)
};

struct ArchiveStats {
  uint64_t files = 0;
  uint64_t bytes = 0;  // uncompressed
};

// Writes the roots' paths (missing ones skipped) to `target` atomically. A path that leads out
// of its root through a symlink on the way (the last component is kept as a link) is an error.
// So is an entry past `limits`: more files (directories and links included) than cache_entries,
// or more bytes of file contents than cache_archive_bytes; then nothing is written, and the
// message names the limit and its key ("it holds more than agent.limits.cache_archive_bytes
// (20 GiB)").
Result<ArchiveStats> WriteCacheArchive(const std::filesystem::path& target,
                                       const std::vector<ArchiveRoot>& roots, int threads,
                                       const InputLimits& limits = {});

// Restores `source` into the roots by prefix; entries under other prefixes are skipped. A
// damaged archive (truncated, not zstd, bad tar) or a hostile entry (see above; the error names
// it) is an error; whatever was extracted before it stays (the caller treats it as a miss and
// the build starts from what is there), and nothing is written outside the roots. Reading stops
// with an error naming the limit past `limits`: more entries than cache_entries (skipped ones
// counted), or more bytes of file contents than cache_archive_bytes (a file whose header already
// says so is refused before it is written).
Result<ArchiveStats> ReadCacheArchive(const std::filesystem::path& source,
                                      const std::vector<ArchiveRoot>& roots,
                                      const InputLimits& limits = {});

}  // namespace raibid
