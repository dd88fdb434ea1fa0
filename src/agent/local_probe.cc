#include "agent/local_probe.h"

#include <unistd.h>

namespace raibid {

Status ProbeLocal(const std::vector<std::filesystem::path>& dirs, Executor* executor) {
  for (const auto& dir : dirs) {
    // A directory made and removed: what a job's checkout does first.
    const auto probe = dir / (".raibid-probe-" + std::to_string(getpid()));
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (!ec) std::filesystem::create_directory(probe, ec);
    if (ec) return std::unexpected(ErrnoError(ec, "cannot write to " + dir.string()));
    std::filesystem::remove(probe, ec);
  }
  return executor ? executor->Ready() : Status{};
}

}  // namespace raibid
