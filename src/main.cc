#include <cstring>

#include "cli/cli.h"
#include "process/reaper.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], raibid::kReaperArg) == 0) {
    return raibid::RunReaperMain(argc, argv);
  }
  return raibid::cli::Main(argc, argv);
}
