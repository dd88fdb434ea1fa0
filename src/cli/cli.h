// The command line: `run`, `submit`, `status`, `logs`, `cancel`, `validate` (docs/reference.md,
// Commands). The one place that reads flags and the environment; agent/wiring.h builds the agent
// from them.
#pragma once

namespace raibid::cli {

int Main(int argc, char** argv);

}  // namespace raibid::cli
