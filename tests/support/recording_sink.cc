#include "support/recording_sink.h"

namespace raibid::testing {

void RecordingSink::Write(std::string_view step, LogFd fd, std::string_view data) {
  {
    MutexLock lock(&mu_);
    entries_.push_back({std::string(step), fd, std::string(data)});
  }
  if (on_write) on_write(fd, data);
}

void RecordingSink::Flush() {
  MutexLock lock(&mu_);
  ++flushes_;
}

std::vector<RecordingSink::Entry> RecordingSink::entries() const {
  MutexLock lock(&mu_);
  return entries_;
}

std::string RecordingSink::Text(LogFd fd) const {
  MutexLock lock(&mu_);
  std::string text;
  for (const Entry& e : entries_) {
    if (e.fd == fd) text += e.data;
  }
  return text;
}

std::string RecordingSink::Lines() const {
  MutexLock lock(&mu_);
  std::string text;
  for (const Entry& e : entries_) {
    text += e.step + "/" + std::string(ToString(e.fd)) + ": " + e.data;
  }
  return text;
}

std::vector<std::string> RecordingSink::SysLines() const {
  MutexLock lock(&mu_);
  std::vector<std::string> lines;
  for (const Entry& e : entries_) {
    if (e.fd == LogFd::kSys) lines.push_back(e.data);
  }
  return lines;
}

int RecordingSink::flushes() const {
  MutexLock lock(&mu_);
  return flushes_;
}

void RecordingSink::Clear() {
  MutexLock lock(&mu_);
  entries_.clear();
  flushes_ = 0;
}

}  // namespace raibid::testing
