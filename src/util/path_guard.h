// The one routine that decides whether a path taken from input (a pipeline's cache and artifact
// paths, the entries of a cache archive, the pipeline file) stays inside a root directory (the
// workspace, the cache home), following symlinks the way the kernel would but never out of the
// root.
//
// Checks, in order:
// 1. lexical: a NUL byte is kInvalid; an absolute path, or a ".." that climbs above the root
//    counting the components before it, is kOutside. The kernel never sees such a path.
// 2. the kernel: openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS from a descriptor of the
//    root, where the kernel has it (probed once per process; ENOSYS or EPERM from a seccomp
//    filter mean it has not). Otherwise an equivalent walk, one component at a time with
//    openat(O_PATH | O_NOFOLLOW) and readlinkat, that refuses the same things: a symlink with an
//    absolute target (even one that names a place inside the root), a ".." above the root
//    (from the path or from a symlink's target), more than 40 symlinks (kLoop).
// A ".." inside the path is resolved against where the walk really is (after symlinks), as the
// kernel does, not lexically. The root itself is trusted: symlinks in its own path are followed.
//
// Both implementations give the same answers (the tests run every case through both). What
// neither can do is make a later use of the returned *path* safe against a concurrent rename:
// use OpenBeneath's descriptor where the directory may be changing under you. Every function is
// safe to call from several threads.
#pragma once

#include <sys/types.h>

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/error.h"
#include "util/unique_fd.h"

namespace raibid {

enum class PathFault {
  kInvalid,       // a NUL byte
  kOutside,       // absolute, ".." above the root, or a symlink leading out of it
  kNotFound,      // a component does not exist (or is a symlink to nothing)
  kNotDirectory,  // a component that must be a directory is not
  kLoop,          // too many symlinks, or O_NOFOLLOW met a symlink
  kSystem,        // the root cannot be opened, or another system error (see error_number)
};

struct PathError {
  PathFault fault = PathFault::kSystem;
  std::string message;   // names the path (quoted, non-printable bytes escaped) and why
  int error_number = 0;  // the errno behind it, if any
  Error ToError(ErrorKind kind) const { return Error{kind, message, false}; }
};

template <typename T>
using PathResult = std::expected<T, PathError>;

// Flags of ResolveBeneath.
// Components from the first one that does not exist on may be missing (to be created): they are
// then taken as they are and must not include "..". A symlink to nothing is still kNotFound.
inline constexpr unsigned kAllowMissing = 1u << 0;
// A symlink as the last component is the answer itself, not followed (as lstat, O_NOFOLLOW).
inline constexpr unsigned kNoFollowLast = 1u << 1;

// Opens `relative` under `root` with open(2) `open_flags` (O_CLOEXEC is added; `mode` is used
// with O_CREAT). O_NOFOLLOW applies to the last component only, as in open(2); with O_CREAT a
// missing last component is created (through a symlink to nothing inside the root, too, as
// open(2) does). "" and "." open the root itself.
PathResult<UniqueFd> OpenBeneath(const std::filesystem::path& root, std::string_view relative,
                                 int open_flags, mode_t mode = 0600);

// The absolute path `relative` names under `root`, symlinks resolved (canonical: starts with the
// canonical root). Refused as described above; `flags` are kAllowMissing and kNoFollowLast.
PathResult<std::filesystem::path> ResolveBeneath(const std::filesystem::path& root,
                                                 std::string_view relative, unsigned flags = 0);

// Step 1 alone: why `relative` is refused before looking at the disk, or nullopt.
std::optional<PathError> CheckRelativePath(std::string_view relative);

// `text` in single quotes, bytes outside printable ASCII as \xNN, cut after 200 bytes: for
// messages that name a path from input.
std::string QuotePath(std::string_view text);

// Whether the kernel check is openat2 (false: the walk).
bool PathGuardUsesOpenat2();
// Tests: use the walk even where openat2 exists (process-wide).
void ForcePathGuardFallbackForTesting(bool force);

}  // namespace raibid
