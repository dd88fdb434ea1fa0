// The command line: `run`, `submit`, `status`, `logs`, `cancel`, `validate` (contract section 1).
// The one place that reads flags and the environment and wires the agent together.
#pragma once

namespace raibid::cli {

int Main(int argc, char** argv);

}  // namespace raibid::cli
