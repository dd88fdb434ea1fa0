// main() of every test binary: GoogleTest, plus the reaper mode, so a test binary can serve as
// the `__reaper` helper of the shell executor the way the agent binary does in production.
#include <gtest/gtest.h>

#include <cstring>

#include "process/reaper.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], raibid::kReaperArg) == 0) {
    return raibid::RunReaperMain(argc, argv);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
