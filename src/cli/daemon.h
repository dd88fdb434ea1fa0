// `raibid-agent run`: builds the agent's objects from the settings and runs it until a signal.
#pragma once

#include <filesystem>

#include "config/settings.h"

namespace raibid::cli {

struct DaemonFlags {
  int concurrency = 0;        // 0: from the settings
  std::string consumer_name;  // empty: from the settings
  std::string work_dir;       // empty: from the settings
  std::string cache_dir;      // empty: from the settings
  bool take_over = false;     // start although another live agent holds the consumer name
};

int RunDaemon(Settings settings, const DaemonFlags& flags, const std::filesystem::path& self);

}  // namespace raibid::cli
