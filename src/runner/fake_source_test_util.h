// A SourceCheckout for the runner's tests: a checkout makes an empty workspace (with the files
// the test gave it) at once, unless the test queued a failure for it.
#pragma once

#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "source/source_checkout.h"
#include "util/mutex.h"

namespace raibid {

class FakeSource final : public SourceCheckout {
 public:
  static constexpr const char* kCommit = "0123456789abcdef0123456789abcdef01234567";

  // Every workspace gets `path` (relative to it) holding `content`.
  void AddFile(const std::string& path, const std::string& content) {
    MutexLock lock(&mutex_);
    files_[path] = content;
  }
  // The next checkout fails with `error` (each call queues one more failure before success).
  void FailCheckout(Error error) {
    MutexLock lock(&mutex_);
    failures_.push_back(std::move(error));
  }
  int checkouts() const {
    MutexLock lock(&mutex_);
    return checkouts_;
  }

  Result<CheckoutResult> Checkout(const SourceRequest& request, LogSink&) override {
    MutexLock lock(&mutex_);
    ++checkouts_;
    if (!failures_.empty()) {
      Error error = std::move(failures_.front());
      failures_.pop_front();
      return std::unexpected(std::move(error));
    }
    std::filesystem::create_directories(request.workspace);
    for (const auto& [path, content] : files_) {
      std::filesystem::create_directories((request.workspace / path).parent_path());
      std::ofstream(request.workspace / path) << content;
    }
    return CheckoutResult{.commit_sha = kCommit, .ref_description = "commit " + request.commit};
  }

 private:
  mutable Mutex mutex_;
  std::map<std::string, std::string> files_ GUARDED_BY(mutex_);
  std::deque<Error> failures_ GUARDED_BY(mutex_);
  int checkouts_ GUARDED_BY(mutex_) = 0;
};

}  // namespace raibid
