// Ctrl-C while a command follows a job: the command stops following and says what became of the
// job (it keeps running on its agent) instead of dying without a word.
#pragma once

namespace raibid::cli {

// While one exists, SIGINT sets a flag instead of ending the process; the previous disposition
// comes back when it goes. One at a time, on the main thread.
class InterruptWatch {
 public:
  InterruptWatch();
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

  // True once SIGINT arrived. Async-signal-safe to set, cheap to poll.
  bool interrupted() const;
};

}  // namespace raibid::cli
