#include "report/log_budget.h"

#include <algorithm>

#include "util/text.h"

namespace raibid {

namespace {
constexpr uint64_t kMaxTail = 1 << 20;
}  // namespace

LogBudget::LogBudget(uint64_t limit_bytes) : limit_(limit_bytes) {}

void LogBudget::Begin(const std::string& step) {
  open_ = true;
  step_ = step;
  const uint64_t room = limit_ - std::min(limit_, stored_);
  head_left_ = room / 2;
  tail_cap_ = std::min({limit_ / 8, kMaxTail, room - head_left_});
  step_cut_ = 0;
}

void LogBudget::Add(LogPiece piece, std::vector<LogPiece>& out) {
  if (open_ && piece.step != step_) EndStep(out);
  if (piece.fd == LogFd::kSys) {
    // Held with the tail once one is being held, so the log keeps its order.
    if (open_ && !tail_.empty()) {
      tail_.push_back(std::move(piece));
    } else {
      out.push_back(std::move(piece));
    }
    return;
  }
  if (!open_) Begin(piece.step);
  const size_t now = static_cast<size_t>(std::min<uint64_t>(head_left_, piece.data.size()));
  if (now > 0) {
    head_left_ -= now;
    stored_ += now;
    out.push_back({piece.step, piece.fd, piece.data.substr(0, now)});
    piece.data.erase(0, now);
  }
  if (!piece.data.empty()) Hold(std::move(piece));
}

// Into the tail; what no longer fits falls out of its front (sys pieces stay).
void LogBudget::Hold(LogPiece piece) {
  tail_bytes_ += piece.data.size();
  tail_.push_back(std::move(piece));
  for (auto it = tail_.begin(); tail_bytes_ > tail_cap_ && it != tail_.end();) {
    if (it->fd == LogFd::kSys) {
      ++it;
      continue;
    }
    const uint64_t drop = std::min<uint64_t>(it->data.size(), tail_bytes_ - tail_cap_);
    it->data.erase(0, static_cast<size_t>(drop));
    tail_bytes_ -= drop;
    step_cut_ += drop;
    cut_total_ += drop;
    it = it->data.empty() ? tail_.erase(it) : std::next(it);
  }
}

void LogBudget::EndStep(std::vector<LogPiece>& out) {
  if (!open_) return;
  open_ = false;
  if (step_cut_ > 0) {
    out.push_back({step_, LogFd::kSys,
                   "log limit: " + std::to_string(step_cut_) + " bytes (" + FormatBytes(step_cut_) +
                       ") of " + (step_.empty() ? std::string("this output") : "step " + step_) +
                       " cut here; its last " + FormatBytes(tail_bytes_) + " follow\n"});
  }
  stored_ += tail_bytes_;
  for (auto& piece : tail_) out.push_back(std::move(piece));
  tail_.clear();
  tail_bytes_ = 0;
}

}  // namespace raibid
