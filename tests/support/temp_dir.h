// A directory under $TMPDIR removed with everything in it when the object goes.
#pragma once

#include <filesystem>
#include <string>

namespace raibid::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "raibid-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes `content` to `path`, creating parent directories.
void WriteFile(const std::filesystem::path& path, const std::string& content);
std::string ReadFile(const std::filesystem::path& path);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int FreePort();

// Polls `condition` every 10 ms until it holds or `timeout` passes; returns its last value.
template <typename F>
bool WaitFor(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace raibid::testing

#include <chrono>
#include <thread>
template <typename F>
bool raibid::testing::WaitFor(F condition, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}
