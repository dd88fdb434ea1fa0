// Exponential backoff with jitter: 1, 2, 4, 8, 16 s by default (each +/- 20 %), then give up.
// Not thread-safe; one per retry loop.
#pragma once

#include <chrono>
#include <optional>
#include <random>

#include "util/clock.h"

namespace raibid {

struct BackoffPolicy {
  Millis initial{1000};
  int max_retries = 5;  // -1: never give up
  Millis cap{16000};    // no single wait is longer
  double jitter = 0.2;  // each wait is scaled by a random factor in [1 - jitter, 1 + jitter]
};

class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy = {}) : policy_(policy), rng_(std::random_device{}()) {}

  // The wait before the next retry, or nullopt when the retries are used up.
  std::optional<Millis> Next() {
    if (policy_.max_retries >= 0 && retries_ >= policy_.max_retries) return std::nullopt;
    const Millis base = BaseDelay(policy_, retries_++);
    std::uniform_real_distribution<double> factor(1.0 - policy_.jitter, 1.0 + policy_.jitter);
    return Millis(static_cast<int64_t>(base.count() * factor(rng_)));
  }
  int retries() const { return retries_; }

  // Without jitter: initial * 2^n, capped.
  static Millis BaseDelay(const BackoffPolicy& policy, int n) {
    Millis d = policy.initial;
    for (int i = 0; i < n && d < policy.cap; ++i) d *= 2;
    return std::min(d, policy.cap);
  }

 private:
  BackoffPolicy policy_;
  std::mt19937 rng_;
  int retries_ = 0;
};

}  // namespace raibid
