// The seam between the runner and where a job's source comes from: a fresh workspace checked out
// at the job's commit, branch or tag. SourceCache (source/source_cache.h) is the real one, tested
// against real git; the runner's tests use a fake.
#pragma once

#include <filesystem>
#include <string>

#include "util/error.h"
#include "util/log_sink.h"

namespace raibid {

struct SourceRequest {
  std::string url;                  // from ResolveRepositoryUrl
  std::string commit, branch, tag;  // at least one; commit wins when present
  std::filesystem::path workspace;  // must not exist yet; created
};

struct CheckoutResult {
  std::string commit_sha;       // full 40-hex SHA checked out
  std::string ref_description;  // "branch main", "tag v1.2", "commit a1b2c3d4"
  bool cache_hit = false;       // the mirror existed already (only new objects were fetched)
};

class SourceCheckout {
 public:
  virtual ~SourceCheckout() = default;
  // Creates `request.workspace` checked out at the request's commit / branch tip / tag; progress
  // lines go to `sink`. On failure no workspace is left behind. A retryable error (a remote that
  // is unreachable) may succeed when tried again. Thread-safe.
  virtual Result<CheckoutResult> Checkout(const SourceRequest& request, LogSink& sink) = 0;
};

}  // namespace raibid
