// The job log: output appended in order to the `ci:logs:<job_id>` stream as entries of
// {step, fd, data}. Writes are buffered and sent by a flusher thread on a connection of its own,
// batched (every 50 ms, or sooner when 256 KiB are waiting), so a step's pipes are drained at
// memory speed and never wait on a Redis round trip; only when 8 MiB are waiting unsent does
// Write wait for the flusher. The log limit keeps each step's head and tail (report/log_budget.h);
// what it cuts is counted, and a `sys` line says so; `sys` lines are always kept. A step's output
// ends for the limit at Flush or FlushStep (the executor flushes at a step's end).
//
// Secrets are masked in Write, before anything is queued: each (step, fd) stream of out/err
// output goes through a MaskingStream of its own, so a secret split across two writes (two reads
// of a pipe) is masked too. The end of a write that could begin a secret (at most the longest
// secret form's length minus one byte) is held back until the next write of the same stream
// shows what follows, and released, masked, when the stream ends: at a `sys` line of its step
// (the executor writes one when a step ends), at a `sys` line of no step (the agent's own lines)
// while only one step has output held, and at Flush or FlushStep. So `sys` lines keep their place
// after the output written before them; out and err never mix their held bytes, and steps that
// run at the same time never release each other's. The limit cuts masked output only. `sys` lines
// are masked whole.
//
// Entries Redis refuses (OOM under `noeviction`, READONLY, ...) are not resent: they are counted
// per step (report/log_losses.h), and as soon as Redis stores an entry again (or at a Flush) the
// log gets a `sys` line saying how many bytes of which step were lost and why, and the agent's
// log a warning. lost_bytes() is what the job's status reports.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "redis/redis.h"
#include "report/keys.h"
#include "report/log_budget.h"
#include "report/log_losses.h"
#include "util/log_sink.h"
#include "util/masker.h"
#include "util/masking_stream.h"
#include "util/mutex.h"

namespace raibid {

class RedisLogSink final : public LogSink {
 public:
  // `masker` may grow while the job runs (a token obtained on the way): what is written after an
  // Add is masked with it. A step's out/err stream takes the masker as it is when the stream
  // starts.
  RedisLogSink(std::unique_ptr<Redis> redis, const std::string& job_id, ReportSettings settings,
               std::shared_ptr<const Masker> masker);
  RedisLogSink(std::unique_ptr<Redis> redis, const std::string& job_id, ReportSettings settings,
               const Masker& masker)
      : RedisLogSink(std::move(redis), job_id, std::move(settings),
                     std::make_shared<const Masker>(masker)) {}
  ~RedisLogSink() override;  // flushes what is buffered, then stops the flusher

  void Write(std::string_view step, LogFd fd, std::string_view data) override;
  void WriteAside(std::string_view step, std::string_view line) override;
  // Releases the bytes held back for masking, then returns once everything written so far has
  // been sent.
  void Flush() override;
  // Flush for one step's output only (the step ended while others still run): the other steps'
  // held bytes stay held.
  void FlushStep(std::string_view step);

  uint64_t stored_bytes() const;
  uint64_t dropped_bytes() const;
  // Bytes Redis refused (or a connection that stayed down lost); see the top of this file.
  uint64_t lost_bytes() const { return losses_.total(); }
  // The last Redis error the flusher met, if any.
  std::optional<Error> last_error() const;

 private:
  using Chunk = LogPiece;
  void Append(std::string_view step, LogFd fd, std::string_view data) REQUIRES(mu_);
  // The bytes held back for masking, of `step` (null: of every step), to `out`.
  void ReleaseHeld(std::vector<Chunk>& out, const std::string* step) REQUIRES(write_mu_);
  // `chunks` (masked) through the log limit: what to store now; `end_step`: that step's output
  // ended; `end_all`: every step's did. Counts what the limit cut as dropped.
  std::vector<Chunk> Budgeted(std::vector<Chunk> chunks, const std::string* end_step, bool end_all)
      REQUIRES(write_mu_);
  // Returns once everything enqueued so far has been sent (or reported lost).
  void WaitSent();
  void Enqueue(const std::vector<Chunk>& chunks) REQUIRES(write_mu_);
  void FlusherLoop();
  void Send(const std::vector<Chunk>& batch);
  // Tells the log and the agent's log about unreported losses; false when Redis refused that too.
  bool ReportLosses();

  std::unique_ptr<Redis> redis_;  // used by the flusher thread only
  const std::string key_;
  const ReportSettings settings_;
  const std::shared_ptr<const Masker> masker_;

  // Taken before mu_ by Write and Flush, so masking (the writer's work) never blocks the flusher.
  Mutex write_mu_ ACQUIRED_BEFORE(mu_);
  std::map<std::pair<std::string, LogFd>, MaskingStream> streams_ GUARDED_BY(write_mu_);
  LogBudget budget_ GUARDED_BY(write_mu_);

  mutable Mutex mu_;
  CondVar wake_;  // flusher: data waiting or stopping
  CondVar sent_;  // writers: a batch went out
  std::vector<Chunk> pending_ GUARDED_BY(mu_);
  size_t pending_bytes_ GUARDED_BY(mu_) = 0;
  uint64_t accepted_bytes_ GUARDED_BY(mu_) = 0;  // out/err bytes the limit let through
  uint64_t dropped_bytes_ GUARDED_BY(mu_) = 0;
  uint64_t enqueued_seq_ GUARDED_BY(mu_) = 0;  // batches handed over / sent
  uint64_t sent_seq_ GUARDED_BY(mu_) = 0;
  bool in_flight_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool flush_requested_ GUARDED_BY(mu_) = false;
  uint64_t flush_requests_ GUARDED_BY(mu_) = 0;  // Flushes with nothing to send / answered
  uint64_t flushes_done_ GUARDED_BY(mu_) = 0;
  std::optional<Error> last_error_ GUARDED_BY(mu_);
  bool expiry_set_ = false;  // flusher thread only
  LogLosses losses_;         // flusher thread only, total() excepted
  std::thread flusher_;
};

}  // namespace raibid
