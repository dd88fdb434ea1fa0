// Names of the Redis keys the agent writes (docs/reference.md, Redis keys) and how long they live.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "redis/fault_board.h"
#include "util/backoff.h"

namespace raibid {

inline std::string JobKey(const std::string& job_id) { return "ci:job:" + job_id; }
inline std::string LogKey(const std::string& job_id) { return "ci:logs:" + job_id; }
// A live agent's heartbeat hash, with a TTL.
inline std::string AgentKey(const std::string& consumer) { return "ci:agent:" + consumer; }
inline constexpr const char* kCancelChannel = "ci:cancel";

struct ReportSettings {
  std::string status_stream = "ci-status";
  uint64_t status_maxlen = 100000;
  std::chrono::seconds retention = std::chrono::hours(24 * 7);
  uint64_t log_limit_bytes = 16ull << 20;
  // Status and log writes outlive a Redis restart: reconnect and resend with this backoff
  // (about 5 minutes in all) before the job's writes are given up.
  BackoffPolicy redis_retry{.initial = Millis(250), .max_retries = 22, .cap = Millis(16000)};
  // A status write Redis refuses with a transient fault (memory full, a read-only replica,
  // loading) waits with this backoff until it lands: never giving up, so a final state is
  // never dropped. Configuration faults use redis_retry and give up.
  BackoffPolicy refused_retry{.initial = Millis(1000), .max_retries = -1, .cap = Millis(16000)};
  // Where the faults met are posted while they last (/readyz); may be null.
  std::shared_ptr<RedisFaultBoard> faults;
};

}  // namespace raibid
