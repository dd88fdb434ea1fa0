// `raibid-agent run`: builds the agent's objects from the settings and runs it until a signal.
#pragma once

#include <filesystem>

#include "config/settings.h"

namespace raibid::cli {

struct DaemonFlags {
  int concurrency = 0;          // 0: from the settings
  std::string consumer_name;    // empty: from the settings
  std::string work_dir;         // empty: from the settings
  std::string cache_dir;        // empty: from the settings
  bool take_over = false;       // start although another live agent holds the consumer name
  int max_jobs = 0;             // --max-jobs, or 1 for --once; 0: from the settings
  std::string exit_after_idle;  // --exit-after-idle, a duration; empty: from the settings
};

// Exits 2 for flags that do not parse (a bad --exit-after-idle), 0 after a drain or once a
// one-shot limit (agent.max_jobs, agent.exit_after_idle) is reached.
int RunDaemon(Settings settings, const DaemonFlags& flags, const std::filesystem::path& self);

}  // namespace raibid::cli
