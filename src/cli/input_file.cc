#include "cli/input_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "util/text.h"
#include "util/unique_fd.h"

namespace raibid::cli {

Result<std::string> ReadInputFile(const std::string& file, size_t max_bytes) {
  const std::string name = file == "-" ? "stdin" : file;
  UniqueFd owned;
  int fd = STDIN_FILENO;
  if (file != "-") {
    owned = UniqueFd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned.valid()) return std::unexpected(ErrnoError(errno, name + ": cannot read"));
    fd = owned.get();
  }
  std::string text;
  char buf[16384];
  while (text.size() <= max_bytes) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(ErrnoError(errno, name + ": cannot read"));
    if (n == 0) return text;
    text.append(buf, static_cast<size_t>(n));
  }
  return Fail(ErrorKind::kInvalidJob,
              name + ": larger than the limit of " + FormatBytes(max_bytes));
}

}  // namespace raibid::cli
