// A directory nobody may write into, root included: `chattr +i` (the immutable attribute) on a
// directory, taken off again when the object goes so the test's temp dir can be removed.
#pragma once

#include <filesystem>

namespace raibid::testing {

class ReadOnlyDir {
 public:
  // Creates `path` (and its parents) and makes it immutable.
  explicit ReadOnlyDir(std::filesystem::path path);
  ~ReadOnlyDir();
  ReadOnlyDir(const ReadOnlyDir&) = delete;
  ReadOnlyDir& operator=(const ReadOnlyDir&) = delete;

  // False when the attribute could not be set (no CAP_LINUX_IMMUTABLE, or a filesystem without
  // it): the caller skips its test.
  bool ok() const { return ok_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool ok_ = false;
};

}  // namespace raibid::testing
