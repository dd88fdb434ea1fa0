// Where `raibid-agent run` finds its step reaper.
#pragma once

#include <filesystem>

namespace raibid::cli {

// The static step reaper for the agent binary at `self`: `raibid-agent-reaper` beside it (a build
// tree, or an install that keeps both in one bin directory), else in `../libexec/raibid-agent/`
// (the installed layout of `cmake --install` and the Debian package), else `self`, whose own
// `__reaper` mode does the same work, only slower to start. A candidate counts only when it is
// an executable file.
std::filesystem::path FindReaper(const std::filesystem::path& self);

}  // namespace raibid::cli
