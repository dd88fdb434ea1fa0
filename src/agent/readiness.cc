#include "agent/readiness.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <optional>

#include "agent/agent.h"
#include "util/disk_usage.h"
#include "util/text.h"
#include "util/unique_fd.h"

namespace raibid {

void Readiness::Add(const std::string& name, Check check) {
  MutexLock lock(&mu_);
  for (auto& [n, c] : checks_) {
    if (n == name) {
      c = std::move(check);
      return;
    }
  }
  checks_.emplace_back(name, std::move(check));
}

void Readiness::Hold(const std::string& name, std::string reason) {
  Add(name, [reason = std::move(reason)]() -> std::optional<std::string> { return reason; });
}

void Readiness::Release(const std::string& name) {
  Add(name, []() -> std::optional<std::string> { return std::nullopt; });
}

std::optional<std::string> Readiness::NotReady() const {
  std::vector<std::pair<std::string, Check>> checks;
  {
    // Copied so that a slow check (an engine ping) never holds up Add or another probe.
    MutexLock lock(&mu_);
    checks = checks_;
  }
  std::optional<std::string> reasons;
  for (const auto& [name, check] : checks) {
    std::optional<std::string> reason = check();
    if (!reason) continue;
    reasons = reasons ? *reasons + "; " + *reason : *reason;
  }
  return reasons;
}

Readiness::Check FromStatus(std::function<Status()> probe) {
  return [probe = std::move(probe)]() -> std::optional<std::string> {
    Status s = probe();
    if (s) return std::nullopt;
    return s.error().message;
  };
}

Status CheckWritable(const std::filesystem::path& dir, std::string_view what) {
  // A name of its own per probe: two /readyz requests may probe at once.
  static std::atomic<uint64_t> serial{0};
  const auto probe =
      dir / (".raibid-probe." + std::to_string(getpid()) + "." + std::to_string(++serial));
  const std::string context = std::string(what) + " " + dir.string() + " not writable";
  UniqueFd fd(::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return std::unexpected(ErrnoError(errno, context, ErrorKind::kConfig));
  ssize_t n;
  do {
    n = ::write(fd.get(), "x", 1);
  } while (n < 0 && errno == EINTR);
  const int write_errno = n == 1 ? 0 : (n < 0 ? errno : EIO);
  const int close_errno = ::close(fd.release()) == 0 ? 0 : errno;
  ::unlink(probe.c_str());
  if (write_errno != 0 || close_errno != 0) {
    return std::unexpected(
        ErrnoError(write_errno != 0 ? write_errno : close_errno, context, ErrorKind::kConfig));
  }
  return {};
}

Status CheckFreeSpace(const std::filesystem::path& dir, std::string_view what, uint64_t min_free) {
  if (min_free == 0) return {};
  const std::optional<uint64_t> free = FreeBytes(dir);
  if (!free) {
    return std::unexpected(
        ErrnoError(errno, std::string(what) + " " + dir.string() + ": cannot read the free space"));
  }
  if (*free >= min_free) return {};
  return Fail(ErrorKind::kInfrastructure, LowSpaceReason(what, dir, *free, min_free), true);
}

std::string LowSpaceReason(std::string_view what, const std::filesystem::path& dir, uint64_t free,
                           uint64_t min_free) {
  return std::string(what) + " " + dir.string() + ": " + FormatBytes(free) +
         " free, below agent.min_free_disk (" + FormatBytes(min_free) + ")";
}

Readiness::Check AgentCheck(const Agent& agent, std::string redis, std::string group) {
  return
      [&agent, redis = std::move(redis), group = std::move(group)]() -> std::optional<std::string> {
        switch (agent.state()) {
          case AgentState::kDraining:
          case AgentState::kStopped:
            return "draining: taking no new jobs";
          case AgentState::kStarting:
          case AgentState::kRunning:
            break;
        }
        // A Redis fault names itself ("redis: WRONGTYPE on ci-jobs: ..."), connected or not.
        if (auto fault = agent.redis_fault()) return *fault;
        // A job this agent could not run was handed back; it takes none until that clears.
        if (auto local = agent.LocalFault()) return "handed a job back: " + *local;
        if (!agent.connected()) {
          return "not connected to redis at " + redis + " with group " + group + " registered";
        }
        if (agent.state() == AgentState::kStarting) return "starting";
        return std::nullopt;
      };
}

}  // namespace raibid
