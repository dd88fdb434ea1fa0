// Each line of a step's script shown as it starts running ("$ make test", a `sys` line of the
// job log, as CI servers show a script), and the line that ran last named when the step fails.
//
// How: bash runs the step through BashEchoProgram(), which `eval`s the script (unchanged: set -e,
// pipefail, exit codes, if/for/heredocs and bash's own "line N:" messages are as without it)
// under a DEBUG trap. Before each command on a new line the trap writes a marker line,
// "\x1eraibid-line N\n", to copies of the step's stdout and stderr taken before the script starts
// (fds 198 and 197), so a script that redirects its output still reports. CommandEcho sits between
// the executor's pipes and the job log: it takes the markers out of both streams and writes the
// script's own line N in their place: its source text, never bash's expansion of it, so no
// variable's value is shown (and the log masks secrets in it like in any line). A line is echoed
// the first time it runs, so a loop shows its lines once. Why not `set -x`: it prints every
// command of every iteration, expanded, and mixes its lines with the step's stderr.
//
// Why both streams: stdout and stderr are two pipes, read in whatever order they become ready, so
// a marker on stderr alone may be read after the stdout its command printed. The marker in each
// stream is a barrier instead: the echo is written once both streams have reached it, and what a
// stream printed after its marker waits for the other stream's (bounded: past kMaxAhead bytes, or
// at Flush, it goes on without). Each line's echo thus comes before all its output and after all
// the previous lines' output; within one line, stdout and stderr interleave as read.
//
// Under a shell without DEBUG traps (`sh` without bash) no marker comes: only the executor's
// "$ <first line>" is shown, as before.
#pragma once

#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/log_sink.h"

namespace raibid {

// The `bash -c` program that runs the script given as its first argument (and the script sees
// no argument of its own).
const std::string& BashEchoProgram();

class CommandEcho final : public LogSink {
 public:
  // Writes to `inner`; `script` is the step's script, whose lines it echoes. The first non-blank
  // line counts as echoed (the executor's start line shows it).
  CommandEcho(LogSink& inner, std::string_view script);

  void Write(std::string_view step, LogFd fd, std::string_view data) override;
  // Passes on bytes held back because they could have begun a marker.
  void Flush() override;

  // " at line 3: make test" for the line that ran last, or "" when no marker came.
  std::string LastLine() const;

 private:
  // What one stream carries: text, or a marker (its sequence number in that stream, and line).
  struct Piece {
    int seq = 0;  // 0 for text
    int line = 0;
    std::string text;
  };
  struct Stream {
    std::deque<Piece> queue;  // read, not yet passed on
    size_t queued_bytes = 0;
    std::string partial;  // the start of what may be a marker, split across two reads
    int markers = 0;      // markers read so far
  };

  void Parse(Stream& s, std::string_view data);
  // Passes on what no barrier holds; with `force`, passes every barrier too.
  void Drain(bool force);
  void Marker(int line);
  std::string SourceLine(int number) const;

  LogSink& inner_;
  std::vector<std::string> lines_;
  std::set<int> echoed_;
  int last_ = 0;
  int passed_ = 0;  // markers whose barrier is passed
  std::string step_;
  Stream out_;
  Stream err_;
};

}  // namespace raibid
