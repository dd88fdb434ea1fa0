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
// Several steps may run at once: each open step's room is what the limit leaves after what is
// stored and what the other open steps may still store (their heads left and tails), so the
// total stays under the limit.
//
// Works on output already masked (a cut never exposes a piece of a secret). Not thread-safe:
// the caller serialises.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
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

  // A piece of the log in order: appends to `out` what is to be stored now. A step's output
  // starts with its first out/err piece and lasts until EndStep for it (or EndAll); several
  // steps' outputs may be open at once (steps that run at the same time), each with its head and
  // tail. A `sys` piece goes with its step's held tail, in its place; one of no step ("") goes
  // with the only tail held, if there is exactly one.
  void Add(LogPiece piece, std::vector<LogPiece>& out);
  // `step`'s output ended (its end line was written and the step flushed): the marker and the
  // tail held back go to `out`.
  void EndStep(const std::string& step, std::vector<LogPiece>& out);
  // Every step's output ended (the job's log is flushed).
  void EndAll(std::vector<LogPiece>& out);

  // out/err bytes cut so far.
  uint64_t cut_bytes() const { return cut_total_; }

 private:
  struct Lane {
    uint64_t head_left = 0;  // what the step may still store as it comes
    uint64_t tail_cap = 0;
    std::deque<LogPiece> tail;  // held back: out/err (at most tail_cap bytes) and sys pieces
    uint64_t tail_bytes = 0;    // out/err bytes in tail
    uint64_t cut = 0;
  };
  Lane& Begin(const std::string& step);
  void Hold(Lane& lane, LogPiece piece);
  void End(const std::string& step, Lane& lane, std::vector<LogPiece>& out);

  const uint64_t limit_;
  uint64_t stored_ = 0;                // out/err bytes stored, heads and tails
  std::map<std::string, Lane> lanes_;  // the steps whose output is open
  uint64_t cut_total_ = 0;
};

}  // namespace raibid
