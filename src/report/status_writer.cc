#include "report/status_writer.h"

#include <nlohmann/json.hpp>

#include <cmath>

#include <spdlog/spdlog.h>

#include <charconv>
#include <thread>

#include "redis/fault.h"

#include "util/clock.h"

namespace raibid {
namespace {

// Marks the job `running` and counts the attempt, unless its state (KEYS[1]'s `state`) is one of
// the final states in ARGV: then -1, and nothing changes.
constexpr const char* kStartScript = R"(
local state = redis.call('HGET', KEYS[1], 'state')
for _, final in ipairs(ARGV) do
  if state == final then return -1 end
end
redis.call('HSET', KEYS[1], 'state', 'running')
return redis.call('HINCRBY', KEYS[1], 'attempt', 1)
)";

constexpr JobState kFinalStates[] = {JobState::kSucceeded, JobState::kFailed, JobState::kTimedOut,
                                     JobState::kCancelled};

}  // namespace

std::string StepsJson(const std::vector<StepRecord>& steps) {
  // Keys in docs/reference.md's order, which readers of the raw hash see.
  using Json = nlohmann::ordered_json;
  Json arr = Json::array();
  for (const auto& s : steps) {
    Json j = {{"name", s.name}, {"state", ToString(s.state)}};
    j["exit_code"] = s.exit_code ? Json(*s.exit_code) : Json(nullptr);
    j["started_at"] = s.started_at.empty() ? Json(nullptr) : Json(s.started_at);
    j["finished_at"] = s.finished_at.empty() ? Json(nullptr) : Json(s.finished_at);
    j["duration_ms"] = s.duration_ms ? Json(*s.duration_ms) : Json(nullptr);
    if (s.attempts > 1) j["attempts"] = s.attempts;
    if (s.allowed_failure) j["allowed_failure"] = true;
    if (!s.reason.empty()) j["reason"] = s.reason;
    if (s.cpu_seconds) j["cpu_seconds"] = std::round(*s.cpu_seconds * 1000) / 1000;
    if (s.peak_memory_bytes) j["peak_memory_bytes"] = *s.peak_memory_bytes;
    arr.push_back(std::move(j));
  }
  return arr.dump();
}

namespace {

// The `handbacks` field; what does not parse counts as none.
std::vector<Handback> ParseHandbacks(const std::string& text) {
  std::vector<Handback> out;
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_array()) return out;
  try {
    for (const auto& h : json) {
      if (!h.is_object()) continue;
      out.push_back({.agent = h.value("agent", ""),
                     .attempt = h.value("attempt", 0),
                     .at = h.value("at", ""),
                     .reason = h.value("reason", "")});
    }
  } catch (const nlohmann::json::exception&) {  // a field of another type: keep what parsed
  }
  return out;
}

std::string HandbacksJson(const std::vector<Handback>& handbacks) {
  using Json = nlohmann::ordered_json;
  Json arr = Json::array();
  for (const auto& h : handbacks) {
    arr.push_back({{"agent", h.agent}, {"attempt", h.attempt}, {"at", h.at}, {"reason", h.reason}});
  }
  return arr.dump();
}

}  // namespace

Result<StatusWriter::Current> StatusWriter::Read() {
  auto r = redis_.Command(
      {"HMGET", JobKey(job_id_), "state", "cancel_requested", "attempt", "handbacks"});
  if (auto s = CheckReply(r, "HMGET"); !s) return std::unexpected(s.error());
  const RedisValue& fields = *r;
  if (!fields.is_array() || fields.elements().size() < 4) return Current{};
  // The leading number of the attempt field; 0 when it is missing or not a number.
  const std::string text = fields.element(2).str();
  int attempts = 0;
  if (std::from_chars(text.data(), text.data() + text.size(), attempts).ec != std::errc()) {
    attempts = 0;
  }
  return Current{.state = ParseJobState(fields.element(0).str()),
                 .cancel_requested = fields.element(1).str() == "1",
                 .attempts = attempts,
                 .handbacks = ParseHandbacks(fields.element(3).str())};
}

std::vector<RedisArgs> StatusWriter::WriteCommands(const Fields& fields, JobState state,
                                                   const std::string& step,
                                                   const std::string& message) const {
  const std::string key = JobKey(job_id_);
  RedisArgs hset = HsetCommand(fields);
  RedisArgs event = {"XADD",
                     settings_.status_stream,
                     "MAXLEN",
                     "~",
                     std::to_string(settings_.status_maxlen),
                     "*",
                     "job_id",
                     job_id_,
                     "state",
                     std::string(ToString(state)),
                     "step",
                     step,
                     "ts",
                     NowRfc3339(),
                     "message",
                     message};
  return {hset, event, {"EXPIRE", key, std::to_string(settings_.retention.count())}};
}

Status StatusWriter::Write(const Fields& fields, JobState state, const std::string& step,
                           const std::string& message) {
  return Transact(WriteCommands(fields, state, step, message));
}

Status StatusWriter::Transact(std::vector<RedisArgs> commands) {
  commands.insert(commands.begin(), RedisArgs{"MULTI"});
  commands.push_back({"EXEC"});
  auto replies = Send(commands);
  if (!replies) return std::unexpected(replies.error());
  if (replies->back().is_nil()) {
    return Fail(ErrorKind::kInfrastructure, "redis status write failed: EXEC aborted", true);
  }
  return {};
}

Result<std::vector<RedisValue>> StatusWriter::Send(const std::vector<RedisArgs>& commands) {
  // Two budgets: a transient refusal passes by itself and is waited out for as long as it
  // lasts (one command in flight: memory stays bounded); a configuration fault needs an
  // operator and gives up after redis_retry's attempts, like a connection that stays down.
  Backoff transient(settings_.refused_retry);
  Backoff configuration(settings_.redis_retry);
  while (true) {
    auto replies = redis_.PipelineRetrying(commands, settings_.redis_retry);
    if (!replies) return std::unexpected(replies.error());
    const std::optional<RedisFault> fault = FaultIn(*replies);
    if (!fault) {
      if (settings_.faults) settings_.faults->Clear("status:" + job_id_);
      return replies;
    }
    const std::string what = DescribeRedisFault(*fault, JobKey(job_id_));
    auto delay = (fault->transient() ? transient : configuration).Next();
    if (!delay) {
      if (settings_.faults) settings_.faults->Clear("status:" + job_id_);  // given up: not standing
      return std::unexpected(RedisFaultError(*fault, "status write refused: " + what));
    }
    if (settings_.faults) settings_.faults->Set("status:" + job_id_, what);
    spdlog::warn("status write of job {} refused ({}); retrying in {:.1f} s", job_id_, what,
                 delay->count() / 1000.0);
    std::this_thread::sleep_for(*delay);
  }
}

RedisArgs StatusWriter::HsetCommand(const Fields& fields) const {
  RedisArgs hset = {"HSET", JobKey(job_id_)};
  for (const auto& [k, v] : fields) {
    hset.push_back(k);
    hset.push_back(v);
  }
  return hset;
}

Status StatusWriter::Annotate(const Fields& fields) {
  auto replies = Send({HsetCommand(fields)});
  if (!replies) return std::unexpected(replies.error());
  return {};
}

Status StatusWriter::Queued(const std::string& repository) {
  return Write({{"state", "queued"}, {"queued_at", NowRfc3339()}, {"repository", repository}},
               JobState::kQueued, "", "queued");
}

Result<bool> StatusWriter::Running(const std::string& agent, const std::vector<StepRecord>& steps) {
  RedisArgs start = {"EVAL", kStartScript, "1", JobKey(job_id_)};
  for (JobState final : kFinalStates) start.emplace_back(ToString(final));
  auto r = Send({start});
  if (!r) return std::unexpected(r.error());
  if (r->front().is_error()) {
    return Fail(ErrorKind::kInfrastructure, "redis start script failed: " + r->front().str(), true);
  }
  if (r->front().integer() < 0) return false;
  attempt_ = static_cast<int>(r->front().integer());
  Status written = Write({{"state", "running"},
                          {"agent", agent},
                          {"started_at", NowRfc3339()},
                          {"finished_at", ""},
                          {"current_step", ""},
                          {"exit_code", ""},
                          {"error", ""},
                          {"error_kind", ""},
                          {"steps", StepsJson(steps)},
                          {"artifacts", "[]"},
                          {"log_stream", LogKey(job_id_)}},
                         JobState::kRunning, "",
                         "started on " + agent + " (attempt " + std::to_string(attempt_) + ")");
  if (!written) return std::unexpected(written.error());
  return true;
}

Result<StatusWriter::CancelResult> StatusWriter::Cancel() {
  const std::string key = JobKey(job_id_);
  // Each turn fails only when the hash changed between WATCH and EXEC: an agent started the job.
  for (int turn = 0; turn < 10; ++turn) {
    auto read = redis_.Pipeline({{"WATCH", key}, {"HGET", key, "state"}});
    if (!read) return std::unexpected(read.error());
    const RedisValue& found = read->back();
    const std::optional<JobState> state =
        found.is_nil() || found.is_error() ? std::nullopt : ParseJobState(found.str());
    if (!state || *state != JobState::kQueued) {
      if (auto r = redis_.Command({"UNWATCH"}); !r) return std::unexpected(r.error());
      if (!state) return CancelResult{};
      if (IsFinal(*state)) return CancelResult{CancelOutcome::kAlreadyFinal, state};
      auto asked = redis_.Pipeline(
          {{"HSET", key, "cancel_requested", "1"}, {"PUBLISH", kCancelChannel, job_id_}});
      if (!asked) return std::unexpected(asked.error());
      return CancelResult{CancelOutcome::kRequested, state};
    }
    std::vector<RedisArgs> commands = {{"MULTI"}, {"HSET", key, "cancel_requested", "1"}};
    const FinalStatus cancelled{.state = JobState::kCancelled,
                                .error_kind = ErrorKind::kCancelled,
                                .error = "cancelled before any agent started it"};
    for (auto& c : FinishCommands(cancelled, {})) commands.push_back(std::move(c));
    commands.push_back({"EXEC"});
    auto replies = redis_.Pipeline(commands);
    if (!replies) return std::unexpected(replies.error());
    if (replies->back().is_error()) {
      return Fail(ErrorKind::kInfrastructure, "redis cancel failed: " + replies->back().str());
    }
    if (!replies->back().is_nil()) return CancelResult{CancelOutcome::kCancelled, state};
  }
  return Fail(ErrorKind::kInfrastructure, "job " + job_id_ + " kept changing; try again");
}

Status StatusWriter::StepChanged(const std::vector<StepRecord>& steps, size_t index,
                                 const std::string& message) {
  return Write({{"current_step", steps.at(index).name}, {"steps", StepsJson(steps)}},
               JobState::kRunning, steps.at(index).name, message);
}

Status StatusWriter::HandedBack(const std::string& agent, const std::string& reason) {
  // Only the agent holding the entry writes the field, so reading then writing it is safe.
  auto r = redis_.PipelineRetrying({{"HGET", JobKey(job_id_), "handbacks"}}, settings_.redis_retry);
  if (!r) return std::unexpected(r.error());
  std::vector<Handback> handbacks = ParseHandbacks(r->front().str());
  handbacks.push_back({.agent = agent, .attempt = attempt_, .at = NowRfc3339(), .reason = reason});
  return Write({{"state", "queued"}, {"current_step", ""}, {"handbacks", HandbacksJson(handbacks)}},
               JobState::kQueued, "", "handed back by " + agent + ": " + reason);
}

std::vector<RedisArgs> StatusWriter::FinishCommands(const FinalStatus& status,
                                                    const std::vector<StepRecord>& steps) const {
  Fields fields = {
      {"state", std::string(ToString(status.state))},
      {"finished_at", NowRfc3339()},
      {"exit_code", status.exit_code ? std::to_string(*status.exit_code) : ""},
      {"error", status.error},
      {"error_kind", status.error_kind ? std::string(ToString(*status.error_kind)) : ""},
      {"steps", StepsJson(steps)}};
  if (status.log_lost_bytes > 0) {
    fields.emplace_back("log_lost_bytes", std::to_string(status.log_lost_bytes));
  }
  std::string message = status.error.empty() ? std::string(ToString(status.state)) : status.error;
  return WriteCommands(fields, status.state, "", message);
}

Status StatusWriter::Finish(const FinalStatus& status, const std::vector<StepRecord>& steps) {
  return Transact(FinishCommands(status, steps));
}

}  // namespace raibid
