// Whether this agent can run jobs again after it handed one back for a fault of its own
// (docs/reliability.md, Local faults): the directories a job needs can be written to and, with
// the docker executor, the engine answers.
#pragma once

#include <filesystem>
#include <vector>

#include "executor/executor.h"
#include "util/error.h"

namespace raibid {

// Makes each of `dirs` (as needed) and a directory inside it, then removes that one; asks
// `executor` (may be null) whether it is Ready. The first failure, naming the directory and the
// errno, or the engine's error.
Status ProbeLocal(const std::vector<std::filesystem::path>& dirs, Executor* executor);

}  // namespace raibid
