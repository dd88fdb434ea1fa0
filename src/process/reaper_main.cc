// raibid-agent-reaper: the step reaper as a small static program of its own. The agent runs
// every step under a reaper; re-executing the whole agent binary for that (its `__reaper` mode)
// costs ~15 ms of dynamic loading per step, this costs well under one. The agent falls back to
// its own `__reaper` mode when this program is not installed beside it.
#include <string_view>
#include <vector>

#include "process/reaper.h"

int main(int argc, char** argv) {
  // The agent calls it as it calls itself: `<program> __reaper [--parent=PID] -- argv...`.
  if (argc > 1 && std::string_view(argv[1]) == raibid::kReaperArg) {
    return raibid::RunReaperMain(argc, argv);
  }
  // Run by hand without the mode argument: insert it.
  static char mode[] = "__reaper";
  std::vector<char*> args(argv, argv + argc);
  args.insert(args.begin() + 1, mode);
  args.push_back(nullptr);
  return raibid::RunReaperMain(argc + 1, args.data());
}
