// The per-job log limit (agent.log.limit), kept per step as a head and a tail: the end of a
// failing step is what people read, so it must survive a flood earlier in the same step or in
// an earlier one.
//
// The rule (docs/configuration.md, agent.log.limit): when a step's output starts, `room` is what
// is left of the limit. The step stores its first room/2 bytes as they come (its head), then
// holds back its last min(limit/8, 1 MiB, room - head) bytes (its tail) until its output ends,
// and what falls out of the tail in between is cut. When something was cut, a `sys` line
// ("log limit: N bytes of step S cut here") goes before the tail. Halving the room leaves every
// later step a head and a tail of its own. `sys` lines are never cut and do not count; those
// written while a tail is held go with it, in their place. Memory: one tail, at most 1 MiB.
//
// Works on output already masked (a cut never exposes a piece of a secret). Not thread-safe:
// the caller serialises.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "util/log_sink.h"

namespace raibid {

struct LogPiece {
  std::string step;
  LogFd fd;
  std::string data;
};

class LogBudget {
 public:
  explicit LogBudget(uint64_t limit_bytes);

  // A piece of the log in order: appends to `out` what is to be stored now. A piece of another
  // step than the last one ends that step's output first (EndStep).
  void Add(LogPiece piece, std::vector<LogPiece>& out);
  // The current step's output ended (its end line was written, the job's log is flushed): the
  // marker and the tail held back go to `out`.
  void EndStep(std::vector<LogPiece>& out);

  // out/err bytes cut so far.
  uint64_t cut_bytes() const { return cut_total_; }

 private:
  void Begin(const std::string& step);
  void Hold(LogPiece piece);

  const uint64_t limit_;
  uint64_t stored_ = 0;  // out/err bytes stored, heads and tails
  bool open_ = false;    // a step's output is being counted
  std::string step_;
  uint64_t head_left_ = 0;  // what the current step may still store as it comes
  uint64_t tail_cap_ = 0;
  std::deque<LogPiece> tail_;  // held back: out/err (at most tail_cap_ bytes) and sys pieces
  uint64_t tail_bytes_ = 0;    // out/err bytes in tail_
  uint64_t step_cut_ = 0;
  uint64_t cut_total_ = 0;
};

}  // namespace raibid
