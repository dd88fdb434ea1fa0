// Appends settings to a git config file directly, saving a `git config` process per key on the
// checkout's hot path. Values are written quoted and escaped, so any URL git accepts reads back
// unchanged.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace raibid {

struct GitConfigSection {
  std::string name;  // "gc", or "remote \"origin\"" for a subsection
  std::vector<std::pair<std::string, std::string>> entries;  // key, value (repeats allowed)
};

// `value` as a quoted config value: backslash and double quote escaped.
std::string QuoteConfigValue(std::string_view value);

Status AppendGitConfig(const std::filesystem::path& config_file,
                       const std::vector<GitConfigSection>& sections);

}  // namespace raibid
