#include "executor/command_echo.h"

#include <algorithm>
#include <charconv>

namespace raibid {
namespace {

constexpr std::string_view kMarker = "\x1eraibid-line ";
// A marker line is short; a longer run after \x1e without a newline is the step's own output.
constexpr size_t kMaxMarker = kMarker.size() + 12;
// How much of one stream may wait at a marker for the other stream's.
constexpr size_t kMaxAhead = 256 << 10;

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Whether `rest` (from a \x1e to the end of what was read) may still become a marker line.
bool MayBeMarker(std::string_view rest) {
  if (rest.size() >= kMaxMarker) return false;
  if (rest.size() <= kMarker.size()) return kMarker.starts_with(rest);
  return rest.starts_with(kMarker) && AllDigits(rest.substr(kMarker.size()));
}

std::string_view Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

}  // namespace

const std::string& BashEchoProgram() {
  // All on line 1, so that `eval` numbers the script's lines from 1 as `bash -c` would. The trap
  // skips the eval itself, writes nothing once the script turns on its own `set -x` (and stops,
  // so the trace is not cluttered with the trap's commands), and keeps $? (bash restores it
  // after a DEBUG trap).
  static const std::string program =
      "exec 197>&2 198>&1; __raibid_script=$1; shift; "
      "trap 'case $- in *x*) trap - DEBUG;; *) "
      "[ \"$BASH_COMMAND\" = \"eval \\\"\\$__raibid_script\\\"\" ] || "
      "[ \"$LINENO\" = \"${__raibid_line-}\" ] || "
      "{ __raibid_line=$LINENO; printf \"\\036raibid-line %s\\n\" \"$LINENO\" >&198; "
      "printf \"\\036raibid-line %s\\n\" \"$LINENO\" >&197; };; esac' "
      "DEBUG; eval \"$__raibid_script\"";
  return program;
}

CommandEcho::CommandEcho(LogSink& inner, std::string_view script) : inner_(inner) {
  while (true) {
    const size_t eol = script.find('\n');
    lines_.emplace_back(script.substr(0, eol));
    if (eol == std::string_view::npos) break;
    script.remove_prefix(eol + 1);
  }
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (!Trim(lines_[i]).empty()) {
      echoed_.insert(static_cast<int>(i) + 1);
      break;
    }
  }
}

void CommandEcho::Write(std::string_view step, LogFd fd, std::string_view data) {
  if (fd == LogFd::kSys) {
    Drain(true);
    inner_.Write(step, fd, data);
    return;
  }
  step_ = step;
  Parse(fd == LogFd::kOut ? out_ : err_, data);
  Drain(false);
}

void CommandEcho::Parse(Stream& s, std::string_view data) {
  std::string buf = std::move(s.partial);
  s.partial.clear();
  buf.append(data);
  std::string_view rest(buf);
  auto text = [&s](std::string_view t) {
    if (t.empty()) return;
    if (!s.queue.empty() && s.queue.back().seq == 0) {
      s.queue.back().text.append(t);
    } else {
      s.queue.push_back({.text = std::string(t)});
    }
    s.queued_bytes += t.size();
  };
  while (!rest.empty()) {
    const size_t start = rest.find('\x1e');
    text(rest.substr(0, start));
    if (start == std::string_view::npos) return;
    rest.remove_prefix(start);
    const size_t eol = rest.find('\n');
    const std::string_view line = rest.substr(0, eol);
    if (eol == std::string_view::npos && MayBeMarker(rest)) {
      s.partial = rest;
      return;
    }
    if (eol != std::string_view::npos && line.starts_with(kMarker) &&
        AllDigits(line.substr(kMarker.size())) && line.size() > kMarker.size()) {
      int number = 0;
      const std::string_view digits = line.substr(kMarker.size());
      std::from_chars(digits.data(), digits.data() + digits.size(), number);
      s.queue.push_back({.seq = ++s.markers, .line = number});
      rest.remove_prefix(eol + 1);
    } else {
      text(rest.substr(0, 1));  // the step's own \x1e
      rest.remove_prefix(1);
    }
  }
}

void CommandEcho::Drain(bool force) {
  if (force) {
    for (Stream* s : {&out_, &err_}) {
      std::string partial = std::move(s->partial);
      s->partial.clear();
      if (!partial.empty()) s->queue.push_back({.text = std::move(partial)});
    }
  }
  while (true) {
    for (auto [s, fd] : {std::pair{&out_, LogFd::kOut}, std::pair{&err_, LogFd::kErr}}) {
      // Text up to the next barrier goes on; a marker whose barrier is passed is dropped.
      while (!s->queue.empty() && (s->queue.front().seq == 0 || s->queue.front().seq <= passed_)) {
        Piece& front = s->queue.front();
        if (front.seq == 0) {
          s->queued_bytes -= front.text.size();
          inner_.Write(step_, fd, front.text);
        }
        s->queue.pop_front();
      }
    }
    // Each queue is now empty or starts with marker passed_ + 1.
    const bool out_at = !out_.queue.empty();
    const bool err_at = !err_.queue.empty();
    if (!out_at && !err_at) return;
    const bool both = out_at && err_at;
    const bool overflow = out_.queued_bytes > kMaxAhead || err_.queued_bytes > kMaxAhead;
    if (!both && !overflow && !force) return;
    const Piece& front = out_at ? out_.queue.front() : err_.queue.front();
    ++passed_;
    Marker(front.line);
  }
}

void CommandEcho::Flush() {
  Drain(true);
  inner_.Flush();
}

void CommandEcho::Marker(int line) {
  if (line < 1 || line > static_cast<int>(lines_.size())) return;
  // A command continued with backslashes is reported at its last line; show its first.
  while (line > 1 && Trim(lines_[line - 2]).ends_with('\\')) --line;
  last_ = line;
  if (!echoed_.insert(line).second) return;
  // Aside: an echo that comes between two writes of a secret must not release the first part.
  inner_.WriteAside(step_, "$ " + SourceLine(line) + "\n");
}

std::string CommandEcho::SourceLine(int number) const {
  return std::string(Trim(lines_[static_cast<size_t>(number) - 1]));
}

std::string CommandEcho::LastLine() const {
  if (last_ == 0) return "";
  return " at line " + std::to_string(last_) + ": " + SourceLine(last_);
}

}  // namespace raibid
