#include "util/disk_usage.h"

#include <sys/statvfs.h>

namespace raibid {

namespace fs = std::filesystem;

uint64_t TreeBytes(const fs::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it =
           fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && !it->is_symlink(ec)) total += it->file_size(ec);
  }
  return total;
}

std::optional<uint64_t> FreeBytes(const fs::path& dir) {
  struct statvfs stats;
  if (::statvfs(dir.c_str(), &stats) != 0) return std::nullopt;
  return static_cast<uint64_t>(stats.f_bavail) * stats.f_frsize;
}

}  // namespace raibid
