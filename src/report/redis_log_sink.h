// The job log: output appended in order to the `ci:logs:<job_id>` stream as entries of
// {step, fd, data}. Writes are buffered and sent by a flusher thread on a connection of its own,
// batched (every 50 ms, or sooner when 256 KiB are waiting), so a step's pipes are drained at
// memory speed and never wait on a Redis round trip; only when 8 MiB are waiting unsent does
// Write wait for the flusher. Past the log limit output is counted, not kept, and a `sys` line
// says so; `sys` lines are always kept. Secrets are masked before anything leaves the process.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "queue/redis.h"
#include "report/keys.h"
#include "util/log_sink.h"
#include "util/masker.h"

namespace raibid {

class RedisLogSink final : public LogSink {
 public:
  RedisLogSink(std::unique_ptr<Redis> redis, std::string job_id, ReportSettings settings,
               Masker masker);
  ~RedisLogSink() override;  // flushes what is buffered, then stops the flusher

  void Write(std::string_view step, LogFd fd, std::string_view data) override;
  void Flush() override;  // returns once everything written so far has been sent

  uint64_t stored_bytes() const;
  uint64_t dropped_bytes() const;
  // The last Redis error the flusher met, if any.
  std::optional<Error> last_error() const;

 private:
  struct Chunk {
    std::string step;
    LogFd fd;
    std::string data;
  };
  void Append(std::string_view step, LogFd fd, std::string_view data);  // mu_ held
  void FlusherLoop();
  void Send(std::vector<Chunk> batch);

  std::unique_ptr<Redis> redis_;  // used by the flusher thread only
  const std::string key_;
  const ReportSettings settings_;
  const Masker masker_;

  mutable std::mutex mu_;
  std::condition_variable wake_;   // flusher: data waiting or stopping
  std::condition_variable sent_;   // writers: a batch went out
  std::vector<Chunk> pending_;     // GUARDED_BY(mu_)
  size_t pending_bytes_ = 0;       // GUARDED_BY(mu_)
  uint64_t accepted_bytes_ = 0;    // GUARDED_BY(mu_) out/err bytes taken under the limit
  uint64_t dropped_bytes_ = 0;     // GUARDED_BY(mu_)
  uint64_t enqueued_seq_ = 0;      // GUARDED_BY(mu_) batches handed over / sent
  uint64_t sent_seq_ = 0;          // GUARDED_BY(mu_)
  bool in_flight_ = false;         // GUARDED_BY(mu_)
  bool stopping_ = false;          // GUARDED_BY(mu_)
  bool flush_requested_ = false;   // GUARDED_BY(mu_)
  std::optional<Error> last_error_;  // GUARDED_BY(mu_)
  bool expiry_set_ = false;        // flusher thread only
  std::thread flusher_;
};

}  // namespace raibid
