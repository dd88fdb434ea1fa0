// main() of every test binary: GoogleTest, plus the reaper mode, so a test binary can serve as
// the `__reaper` helper of the shell executor the way the agent binary does in production.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstring>

#include "process/reaper.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], raibid::kReaperArg) == 0) {
    return raibid::RunReaperMain(argc, argv);
  }
  // spdlog's registry is a function-local static inside Debian's (uninstrumented) libspdlog: made
  // here, before any test starts a thread, its first use is not a race ThreadSanitizer reports,
  // as the agent's own main() does by setting up its logger first.
  spdlog::default_logger_raw();
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
