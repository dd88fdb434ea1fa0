// The commands that talk to Redis on a user's behalf: submit, status, logs, cancel. Each returns
// the process exit code (docs/reference.md, Commands) and prints errors to stderr.
#pragma once

#include <string>

#include "config/settings.h"

namespace raibid::cli {

int Submit(const Settings& settings, const std::string& file, bool follow);
int ShowStatus(const Settings& settings, const std::string& job_id, bool json);
int ShowLogs(const Settings& settings, const std::string& job_id, bool follow);
int Cancel(const Settings& settings, const std::string& job_id);

}  // namespace raibid::cli
