#include "report/log_budget.h"

#include <algorithm>

#include "util/text.h"

namespace raibid {

namespace {
constexpr uint64_t kMaxTail = 1 << 20;
}  // namespace

LogBudget::LogBudget(uint64_t limit_bytes) : limit_(limit_bytes) {}

LogBudget::Lane& LogBudget::Begin(const std::string& step) {
  uint64_t taken = stored_;
  for (const auto& [name, lane] : lanes_) taken += lane.head_left + lane.tail_cap;
  const uint64_t room = limit_ - std::min(limit_, taken);
  Lane& lane = lanes_[step];
  lane.head_left = room / 2;
  lane.tail_cap = std::min({limit_ / 8, kMaxTail, room - lane.head_left});
  return lane;
}

void LogBudget::Add(LogPiece piece, std::vector<LogPiece>& out) {
  if (piece.fd == LogFd::kSys) {
    // Held with a tail once one is being held, so the log keeps its order.
    auto it = lanes_.find(piece.step);
    if (piece.step.empty() && it == lanes_.end()) {
      Lane* only = nullptr;
      int holding = 0;
      for (auto& [name, lane] : lanes_) {
        if (!lane.tail.empty()) {
          only = &lane;
          ++holding;
        }
      }
      if (holding == 1) return only->tail.push_back(std::move(piece));
    } else if (it != lanes_.end() && !it->second.tail.empty()) {
      return it->second.tail.push_back(std::move(piece));
    }
    out.push_back(std::move(piece));
    return;
  }
  auto it = lanes_.find(piece.step);
  Lane& lane = it != lanes_.end() ? it->second : Begin(piece.step);
  const size_t now = static_cast<size_t>(std::min<uint64_t>(lane.head_left, piece.data.size()));
  if (now > 0) {
    lane.head_left -= now;
    stored_ += now;
    out.push_back({piece.step, piece.fd, piece.data.substr(0, now)});
    piece.data.erase(0, now);
  }
  if (!piece.data.empty()) Hold(lane, std::move(piece));
}

// Into the tail; what no longer fits falls out of its front (sys pieces stay).
void LogBudget::Hold(Lane& lane, LogPiece piece) {
  lane.tail_bytes += piece.data.size();
  lane.tail.push_back(std::move(piece));
  for (auto it = lane.tail.begin(); lane.tail_bytes > lane.tail_cap && it != lane.tail.end();) {
    if (it->fd == LogFd::kSys) {
      ++it;
      continue;
    }
    const uint64_t drop = std::min<uint64_t>(it->data.size(), lane.tail_bytes - lane.tail_cap);
    it->data.erase(0, static_cast<size_t>(drop));
    lane.tail_bytes -= drop;
    lane.cut += drop;
    cut_total_ += drop;
    it = it->data.empty() ? lane.tail.erase(it) : std::next(it);
  }
}

void LogBudget::End(const std::string& step, Lane& lane, std::vector<LogPiece>& out) {
  if (lane.cut > 0) {
    out.push_back({step, LogFd::kSys,
                   "log limit: " + std::to_string(lane.cut) + " bytes (" + FormatBytes(lane.cut) +
                       ") of " + (step.empty() ? std::string("this output") : "step " + step) +
                       " cut here; its last " + FormatBytes(lane.tail_bytes) + " follow\n"});
  }
  stored_ += lane.tail_bytes;
  for (auto& piece : lane.tail) out.push_back(std::move(piece));
}

void LogBudget::EndStep(const std::string& step, std::vector<LogPiece>& out) {
  auto it = lanes_.find(step);
  if (it == lanes_.end()) return;
  End(step, it->second, out);
  lanes_.erase(it);
}

void LogBudget::EndAll(std::vector<LogPiece>& out) {
  for (auto& [step, lane] : lanes_) End(step, lane, out);
  lanes_.clear();
}

}  // namespace raibid
