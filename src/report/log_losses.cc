#include "report/log_losses.h"

namespace raibid {

void LogLosses::Record(const std::string& step, uint64_t bytes, const std::string& why) {
  total_ += bytes;
  why_ = why;
  if (!unreported_.empty() && unreported_.back().first == step) {
    unreported_.back().second += bytes;
  } else {
    unreported_.emplace_back(step, bytes);
  }
}

std::string LogLosses::ReportLine() const {
  std::string line = "redis refused ";
  for (size_t i = 0; i < unreported_.size(); ++i) {
    const auto& [step, bytes] = unreported_[i];
    if (i > 0) line += ", ";
    line += std::to_string(bytes) + " bytes of " +
            (step.empty() ? std::string("the agent's lines") : "step " + step + "'s output");
  }
  return line + "; they are lost from this log (" + why_ + ")\n";
}

void LogLosses::MarkReported() { unreported_.clear(); }

}  // namespace raibid
