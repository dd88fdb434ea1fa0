#include "support/process_gone.h"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

namespace raibid::testing {

bool Gone(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  // /proc/<pid>/stat: "pid (comm) S ...", the state letter after the last ')'.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return !stat.is_open();  // gone between the two looks
  return text.compare(close, 3, ") Z") == 0 || text.compare(close, 3, ") X") == 0;
}

}  // namespace raibid::testing
