// Configuration for the commands: which file, and what command-line flags override in it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/settings.h"

namespace raibid::cli {

struct CommonFlags {
  std::string config;  // --config
  std::string redis;   // --redis
};

// The settings a command runs with: the file named by --config, else $RAIBID_CONFIG, else
// /etc/raibid/agent.yaml (defaults when that default file does not exist); then the flags.
// Warnings about the file are appended to `warnings` ("FILE: agent.foo (line 3): unknown key,
// ignored"), for the caller to log once the log's format is set.
Result<Settings> ResolveSettings(const CommonFlags& flags, std::vector<std::string>* warnings);

}  // namespace raibid::cli
