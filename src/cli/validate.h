// `raibid-agent validate [FILE|DIR]`: checks a pipeline file the way an agent will before it runs
// the steps: the parser's rules, then the rules the runner applies to a parsed pipeline (the
// cache paths, the artifact paths), with the very functions the runner calls.
#pragma once

#include <string>

namespace raibid::cli {

// `path` is the pipeline file, or a directory holding `.raibid.yaml`. Prints "FILE: ok (N steps)"
// and returns 0, or the error on stderr ("FILE:LINE:COL: message", "FILE: cache.paths: ...",
// "FILE: cannot read: No such file or directory") and returns 1. Warnings go to stderr.
int Validate(const std::string& path);

}  // namespace raibid::cli
