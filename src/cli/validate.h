// `raibid-agent validate [FILE]`: checks a pipeline file the way the agent will read it.
#pragma once

#include <string>

namespace raibid::cli {

// Prints "FILE: ok (N steps)" and returns 0, or "FILE:LINE:COL: message" on stderr and 1.
int Validate(const std::string& file);

}  // namespace raibid::cli
