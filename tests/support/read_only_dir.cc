#include "support/read_only_dir.h"

#include "process/run_command.h"

namespace raibid::testing {

ReadOnlyDir::ReadOnlyDir(std::filesystem::path path) : path_(std::move(path)) {
  std::filesystem::create_directories(path_);
  auto r = RunCommand({.argv = {"chattr", "+i", path_.string()}});
  ok_ = r && r->ok();
}

ReadOnlyDir::~ReadOnlyDir() {
  if (ok_) (void)RunCommand({.argv = {"chattr", "-i", path_.string()}});
}

}  // namespace raibid::testing
