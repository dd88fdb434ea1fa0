#include "runner/job_log_line.h"

#include "util/log_context.h"

namespace raibid {
namespace {

void AddRefs(std::vector<LogField>& fields, const std::string& repository, const std::string& ref,
             const std::string& commit) {
  if (!repository.empty()) fields.push_back({"repository", repository});
  if (!ref.empty()) fields.push_back({"ref", ref});
  if (!commit.empty()) fields.push_back({"commit", commit});
}

// What the delivery came to: the final state, else what became of the entry.
std::string Outcome(const RunResult& result) {
  if (result.state) return std::string(ToString(*result.state));
  switch (result.disposition) {
    case Disposition::kDeadLettered:
      return "dead_lettered";
    case Disposition::kAcked:
      return "acknowledged";
    case Disposition::kHandedBack:
      return "handed_back";
    case Disposition::kNotStarted:
      return "not_started";
    case Disposition::kLeftPending:
      break;
  }
  return "left_pending";
}

}  // namespace

void LogJobStarted(const Job& job, int attempt) {
  std::vector<LogField> fields;
  AddRefs(fields, job.repository, !job.branch.empty() ? job.branch : job.tag, job.commit);
  fields.push_back({"attempt", int64_t{attempt}});
  LogWithFields(spdlog::level::info, "job started", std::move(fields));
}

void LogDeliveryEnded(const std::string& entry_id, const RunResult& result, Millis took) {
  ScopedLogContext context(result.job_id.value_or(""));
  std::vector<LogField> fields = {{"entry", entry_id}};
  AddRefs(fields, result.repository, result.ref, result.commit);
  if (result.attempt > 0) fields.push_back({"attempt", int64_t{result.attempt}});
  const std::string outcome = Outcome(result);
  fields.push_back({"result", outcome});
  fields.push_back({"duration_ms", static_cast<int64_t>(took.count())});
  if (result.error_kind)
    fields.push_back({"error_kind", std::string(ToString(*result.error_kind))});
  if (!result.message.empty()) fields.push_back({"error", result.message});
  const bool good = result.state == JobState::kSucceeded || outcome == "acknowledged";
  LogWithFields(good ? spdlog::level::info : spdlog::level::warn,
                "job " + outcome + (result.message.empty() ? "" : ": " + result.message),
                std::move(fields));
}

}  // namespace raibid
