#include "process/reaper.h"

#include <cstdio>

namespace raibid {

// Placeholder until the reaper lands (executor work in progress).
int RunReaperMain(int, char**) {
  std::fprintf(stderr, "raibid-agent: reaper not implemented yet\n");
  return 127;
}

}  // namespace raibid
