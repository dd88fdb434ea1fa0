// How much disk a directory tree holds and how much its filesystem has free: for the cache's
// size limit, the agent's disk metrics and what a job left in its workspace.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

namespace raibid {

// The bytes of the regular files under `dir` (symlinks not followed; what cannot be read is
// skipped); 0 for a directory that does not exist.
uint64_t TreeBytes(const std::filesystem::path& dir);

// The bytes an unprivileged user may still write on `dir`'s filesystem (statvfs f_bavail);
// nullopt when the filesystem cannot be asked (errno says why).
std::optional<uint64_t> FreeBytes(const std::filesystem::path& dir);

}  // namespace raibid
