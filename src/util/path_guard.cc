#include "util/path_guard.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <deque>
#include <vector>

namespace raibid {
namespace {

namespace fs = std::filesystem;

constexpr int kMaxSymlinks = 40;  // the kernel's limit
constexpr int kEagainTries = 32;  // RESOLVE_BENEATH answers EAGAIN when a rename raced it

std::atomic<bool> force_fallback{false};

bool KernelHasOpenat2() {
  static const bool has = [] {
    // A kernel that knows the call refuses an absolute path under RESOLVE_BENEATH (EXDEV).
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH;
    const long fd = syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
    if (fd >= 0) close(static_cast<int>(fd));
    return fd >= 0 || (errno != ENOSYS && errno != EPERM);
  }();
  return has;
}

PathError Refuse(PathFault fault, std::string_view relative, const std::string& why, int err = 0) {
  return PathError{fault, QuotePath(relative) + " " + why, err};
}

PathError FromErrno(int err, std::string_view relative, const fs::path& root) {
  const std::string under = root.string();
  switch (err) {
    case EXDEV:
      return Refuse(PathFault::kOutside, relative, "leads outside " + under, err);
    case ENOENT:
      return Refuse(PathFault::kNotFound, relative, "does not exist under " + under, err);
    case ENOTDIR:
      return Refuse(PathFault::kNotDirectory, relative,
                    "goes through something that is not a directory under " + under, err);
    case ELOOP:
      return Refuse(PathFault::kLoop, relative,
                    "meets too many symlinks, or a symlink where none may be, under " + under, err);
    default:
      return Refuse(PathFault::kSystem, relative, "under " + under + ": " + ErrnoText(err), err);
  }
}

struct Component {
  std::string name;
  bool from_link = false;    // comes from a symlink's target
  bool must_be_dir = false;  // followed by "/" (or "/.")
};

// The components of `text`, "" and "." dropped.
std::deque<Component> Split(std::string_view text, bool from_link) {
  std::deque<Component> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t slash = std::min(text.find('/', start), text.size());
    const std::string_view c = text.substr(start, slash - start);
    if (!c.empty() && c != ".") {
      out.push_back({std::string(c), from_link, false});
    } else if (!out.empty()) {
      out.back().must_be_dir = true;  // "a/", "a/.", "a//b"
    }
    start = slash + 1;
  }
  return out;
}

// What openat2 gets for `relative`: the kernel takes "" as an error, we take it as the root.
std::string KernelPath(std::string_view relative) {
  return Split(relative, false).empty() ? "." : std::string(relative);
}

long Openat2(int dir, const char* path, int flags, mode_t mode) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd;
  int tries = 0;
  do {
    fd = syscall(SYS_openat2, dir, path, &how, sizeof how);
  } while (fd < 0 && (errno == EINTR || (errno == EAGAIN && ++tries < kEagainTries)));
  return fd;
}

// Where an open descriptor is, from /proc; nullopt without /proc (the walk then answers).
std::optional<fs::path> FdPath(int fd) {
  char buf[PATH_MAX];
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = readlink(link.c_str(), buf, sizeof buf);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof buf || buf[0] != '/') return std::nullopt;
  return fs::path(std::string(buf, static_cast<size_t>(n)));
}

PathResult<UniqueFd> OpenRoot(const fs::path& root) {
  UniqueFd fd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    return std::unexpected(PathError{
        PathFault::kSystem, "root " + root.string() + " cannot be opened: " + ErrnoText(err), err});
  }
  return fd;
}

// The walk's answer: where the path ends, as a chain of directories opened from the root.
struct Walked {
  std::vector<UniqueFd> dirs;        // the root, then each directory entered
  std::vector<std::string> names;    // the names of dirs[1..] in their parents
  std::string last;                  // the final component in dirs.back(); "": dirs.back() itself
  bool exists = true;                // false: `last` is missing
  std::vector<std::string> missing;  // kAllowMissing: components after `last`, missing too
};

struct WalkRules {
  bool create_last = false;    // a missing final component is the answer (O_CREAT)
  bool allow_missing = false;  // kAllowMissing
  bool nofollow_last = false;  // kNoFollowLast, O_NOFOLLOW
};

std::optional<std::string> ReadLink(int fd) {
  char buf[PATH_MAX];
  const ssize_t n = readlinkat(fd, "", buf, sizeof buf);
  if (n < 0) return std::nullopt;
  if (static_cast<size_t>(n) >= sizeof buf) {
    errno = ENAMETOOLONG;
    return std::nullopt;
  }
  return std::string(buf, static_cast<size_t>(n));
}

// A missing component: the answer, or why not.
PathResult<Walked> Missing(Walked w, const Component& c, const std::deque<Component>& todo,
                           const WalkRules& rules, std::string_view relative,
                           const fs::path& root) {
  if (todo.empty() && rules.create_last) {
    w.last = c.name;
    w.exists = false;
    return w;
  }
  if (!rules.allow_missing || c.from_link) {
    return std::unexpected(FromErrno(ENOENT, relative, root));
  }
  for (const auto& rest : todo) {
    if (rest.name == "..") return std::unexpected(FromErrno(ENOENT, relative, root));
    w.missing.push_back(rest.name);
  }
  w.last = c.name;
  w.exists = false;
  return w;
}

// Puts the target of the symlink `fd` (met as `c`) in front of `todo`. Returns 0, or the errno
// the kernel would give: the 41st symlink (ELOOP), an absolute target (EXDEV under
// RESOLVE_BENEATH), an empty one (ENOENT).
int ExpandLink(int fd, const Component& c, std::deque<Component>& todo, int& links) {
  if (++links > kMaxSymlinks) return ELOOP;
  const auto target = ReadLink(fd);
  if (!target) return errno;
  if (target->empty()) return ENOENT;
  if (target->front() == '/') return EXDEV;
  auto expansion = Split(*target, true);
  if (!expansion.empty()) expansion.back().must_be_dir |= c.must_be_dir;
  todo.insert(todo.begin(), expansion.begin(), expansion.end());
  return 0;
}

// Resolves `relative` (already checked lexically) one component at a time, never following a
// symlink the kernel would not follow under RESOLVE_BENEATH.
PathResult<Walked> Walk(UniqueFd root_fd, const fs::path& root, std::string_view relative,
                        const WalkRules& rules) {
  std::deque<Component> todo = Split(relative, false);
  Walked w;
  w.dirs.push_back(std::move(root_fd));
  int links = 0;
  while (!todo.empty()) {
    Component c = std::move(todo.front());
    todo.pop_front();
    if (c.name == "..") {
      if (w.names.empty()) return std::unexpected(FromErrno(EXDEV, relative, root));
      w.dirs.pop_back();
      w.names.pop_back();
      continue;
    }
    UniqueFd fd(openat(w.dirs.back().get(), c.name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st = {};
    if (!fd.valid() && errno == ENOENT) {
      return Missing(std::move(w), c, todo, rules, relative, root);
    }
    if (!fd.valid() || fstat(fd.get(), &st) != 0) {
      return std::unexpected(FromErrno(errno, relative, root));
    }
    const bool last = todo.empty();
    if (S_ISLNK(st.st_mode) && !(last && rules.nofollow_last && !c.must_be_dir)) {
      if (const int err = ExpandLink(fd.get(), c, todo, links); err != 0) {
        return std::unexpected(FromErrno(err, relative, root));
      }
      continue;
    }
    if ((!last || c.must_be_dir) && !S_ISDIR(st.st_mode)) {
      return std::unexpected(FromErrno(ENOTDIR, relative, root));
    }
    if (last) {
      w.last = c.name;
      return w;
    }
    w.dirs.push_back(std::move(fd));
    w.names.push_back(c.name);
  }
  return w;
}

PathResult<fs::path> WalkPath(UniqueFd root_fd, const fs::path& root, std::string_view relative,
                              unsigned flags) {
  std::error_code ec;
  fs::path path = fs::canonical(root, ec);
  if (ec) {
    return std::unexpected(
        PathError{PathFault::kSystem,
                  "root " + root.string() + " cannot be resolved: " + ec.message(), ec.value()});
  }
  const WalkRules rules{.allow_missing = (flags & kAllowMissing) != 0,
                        .nofollow_last = (flags & kNoFollowLast) != 0};
  auto w = Walk(std::move(root_fd), root, relative, rules);
  if (!w) return std::unexpected(w.error());
  for (const auto& name : w->names) path /= name;
  if (!w->last.empty()) path /= w->last;
  for (const auto& name : w->missing) path /= name;
  return path;
}

// openat2 for ResolveBeneath with kAllowMissing after ENOENT: the longest prefix that exists,
// then the rest as it is. nullopt: the walk must answer.
std::optional<PathResult<fs::path>> MissingTail(int root_fd, const fs::path& root,
                                                std::string_view relative) {
  std::vector<std::string> comps;
  for (auto& c : Split(relative, false)) comps.push_back(std::move(c.name));
  for (size_t i = comps.size(); i-- > 0;) {
    std::string prefix = ".";
    for (size_t j = 0; j < i; ++j) prefix += "/" + comps[j];
    const long fd = Openat2(root_fd, prefix.c_str(), O_PATH, 0);
    if (fd < 0 && errno == ENOENT) continue;
    if (fd < 0) {
      if (errno == ENOSYS) return std::nullopt;
      return std::unexpected(FromErrno(errno, relative, root));
    }
    UniqueFd dir(static_cast<int>(fd));
    struct stat st = {};
    // Present after all: what is missing lies behind a symlink to nothing.
    if (fstatat(dir.get(), comps[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      return std::unexpected(FromErrno(ENOENT, relative, root));
    }
    if (errno != ENOENT) return std::unexpected(FromErrno(errno, relative, root));
    for (size_t j = i + 1; j < comps.size(); ++j) {
      if (comps[j] == "..") return std::unexpected(FromErrno(ENOENT, relative, root));
    }
    auto path = FdPath(dir.get());
    if (!path) return std::nullopt;
    for (size_t j = i; j < comps.size(); ++j) *path /= comps[j];
    return *path;
  }
  return std::unexpected(FromErrno(ENOENT, relative, root));
}

// nullopt: openat2 cannot answer (ENOSYS after all, or no /proc); the walk must.
std::optional<PathResult<fs::path>> Openat2Path(int root_fd, const fs::path& root,
                                                std::string_view relative, unsigned flags) {
  const int nofollow = (flags & kNoFollowLast) != 0 ? O_NOFOLLOW : 0;
  const long fd = Openat2(root_fd, KernelPath(relative).c_str(), O_PATH | nofollow, 0);
  if (fd >= 0) {
    UniqueFd owned(static_cast<int>(fd));
    auto path = FdPath(owned.get());
    if (!path) return std::nullopt;
    return *path;
  }
  const int err = errno;
  if (err == ENOSYS) return std::nullopt;
  if (err == ENOENT && (flags & kAllowMissing) != 0) return MissingTail(root_fd, root, relative);
  return std::unexpected(FromErrno(err, relative, root));
}

}  // namespace

std::optional<PathError> CheckRelativePath(std::string_view relative) {
  if (relative.find('\0') != std::string_view::npos) {
    return Refuse(PathFault::kInvalid, relative, "contains a NUL byte");
  }
  if (!relative.empty() && relative.front() == '/') {
    return Refuse(PathFault::kOutside, relative, "is absolute");
  }
  int depth = 0;
  for (const auto& c : Split(relative, false)) {
    depth += c.name == ".." ? -1 : 1;
    if (depth < 0) return Refuse(PathFault::kOutside, relative, "climbs out of its root (\"..\")");
  }
  return std::nullopt;
}

std::string QuotePath(std::string_view text) {
  constexpr size_t kShown = 200;
  std::string out = "'";
  for (const char ch : text.substr(0, kShown)) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  if (text.size() > kShown) out += "...";
  return out + "'";
}

PathResult<UniqueFd> OpenBeneath(const fs::path& root, std::string_view relative, int open_flags,
                                 mode_t mode) {
  if (auto refused = CheckRelativePath(relative)) return std::unexpected(*refused);
  auto root_fd = OpenRoot(root);
  if (!root_fd) return std::unexpected(root_fd.error());
  if (PathGuardUsesOpenat2()) {
    const long fd = Openat2(root_fd->get(), KernelPath(relative).c_str(), open_flags, mode);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno != ENOSYS) return std::unexpected(FromErrno(errno, relative, root));
  }
  const WalkRules rules{.create_last = (open_flags & O_CREAT) != 0,
                        .nofollow_last = (open_flags & O_NOFOLLOW) != 0};
  auto w = Walk(std::move(*root_fd), root, relative, rules);
  if (!w) return std::unexpected(w.error());
  // O_NOFOLLOW: the walk saw no symlink there; a swap since then fails instead of redirecting.
  const bool itself = w->last.empty();
  const int flags = open_flags | O_CLOEXEC | (itself ? 0 : O_NOFOLLOW);
  UniqueFd fd(openat(w->dirs.back().get(), itself ? "." : w->last.c_str(), flags, mode));
  if (!fd.valid()) return std::unexpected(FromErrno(errno, relative, root));
  return fd;
}

PathResult<fs::path> ResolveBeneath(const fs::path& root, std::string_view relative,
                                    unsigned flags) {
  if (auto refused = CheckRelativePath(relative)) return std::unexpected(*refused);
  auto root_fd = OpenRoot(root);
  if (!root_fd) return std::unexpected(root_fd.error());
  if (PathGuardUsesOpenat2()) {
    if (auto answer = Openat2Path(root_fd->get(), root, relative, flags)) return *answer;
  }
  return WalkPath(std::move(*root_fd), root, relative, flags);
}

bool PathGuardUsesOpenat2() { return !force_fallback.load() && KernelHasOpenat2(); }

void ForcePathGuardFallbackForTesting(bool force) { force_fallback.store(force); }

}  // namespace raibid
