// Small pieces both process starters share: CLOEXEC pipes and argv/envp arrays.
#pragma once

#include <string>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"

namespace raibid {

struct Pipe {
  UniqueFd read, write;
};

// A pipe whose ends close on exec (the child gets them only through dup2).
Result<Pipe> MakePipe();

// Pointers into `v` followed by a null, for posix_spawn's argv and envp. `v` must outlive them.
std::vector<char*> CStrings(std::vector<std::string>& v);

}  // namespace raibid
