// How `logs` and `submit --follow` print a job's log: output as it came, `sys` lines as
// "==> text", and, for steps that ran at the same time as another step, each line prefixed with
// "[step] " so interleaved output stays readable. Which steps overlapped comes from the job's
// `steps` records (their started_at to finished_at, or to now while running), read again as the
// log is followed: a step's lines are prefixed from the moment another step runs beside it.
#pragma once

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace raibid::cli {

// The names of the steps whose time (started_at to finished_at, or on while running) overlaps
// another step's, from the `steps` field's JSON; empty when it does not parse.
std::set<std::string> OverlappingSteps(std::string_view steps_json);

class LogPrinter {
 public:
  explicit LogPrinter(std::FILE* out) : out_(out) {}
  void set_prefixed(std::set<std::string> steps) { prefixed_ = std::move(steps); }
  void Print(std::string_view step, std::string_view fd, std::string_view data);

 private:
  std::FILE* out_;
  std::set<std::string> prefixed_;
  std::map<std::string, bool, std::less<>> mid_line_;  // the step's last output ended mid-line
};

}  // namespace raibid::cli
