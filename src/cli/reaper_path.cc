#include "cli/reaper_path.h"

#include <unistd.h>

namespace raibid::cli {

std::filesystem::path FindReaper(const std::filesystem::path& self) {
  const std::filesystem::path dir = self.parent_path();
  for (const auto& candidate :
       {dir / "raibid-agent-reaper", dir / "../libexec/raibid-agent/raibid-agent-reaper"}) {
    std::error_code ec;
    // access(X_OK) alone passes a directory; the reaper must be a program.
    if (std::filesystem::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0) {
      return candidate.lexically_normal();
    }
  }
  return self;
}

}  // namespace raibid::cli
