// The files a command reads on a user's behalf (a job for `submit`, a pipeline for `validate`):
// read whole, up to a bound, with the system's reason when they cannot be.
#pragma once

#include <cstddef>
#include <string>

#include "util/error.h"

namespace raibid::cli {

// The contents of `file` ("-": standard input). Errors name the file and carry the errno text,
// "job.json: cannot read: No such file or directory"; a file larger than `max_bytes` is refused
// naming the bound.
Result<std::string> ReadInputFile(const std::string& file, size_t max_bytes);

}  // namespace raibid::cli
