#include "cli/client.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>

#include "agent/wiring.h"
#include "cli/input_file.h"
#include "cli/interrupt.h"
#include "cli/log_printer.h"
#include "cli/queue_report.h"
#include "job/job.h"
#include "redis/redis.h"
#include "redis/stream_entry.h"
#include "report/job_state.h"
#include "report/status_writer.h"

namespace raibid::cli {
namespace {

using nlohmann::json;

Result<std::unique_ptr<Redis>> ConnectTo(const Settings& settings) {
  auto ep = RedisEndpointFrom(settings.redis);
  if (!ep) return std::unexpected(ep.error());
  return Redis::Connect(*ep);
}

int Error(const std::string& message) {
  std::fprintf(stderr, "raibid-agent: %s\n", message.c_str());
  return 1;
}

// The job hash as field -> value; empty when the job is unknown.
Result<std::map<std::string, std::string>> ReadJobHash(Redis& redis, const std::string& id) {
  auto r = redis.Command({"HGETALL", JobKey(id)});
  if (auto s = CheckReply(r, "HGETALL"); !s) return std::unexpected(s.error());
  std::map<std::string, std::string> fields;
  const auto& items = r->elements();
  for (size_t i = 0; i + 1 < items.size(); i += 2) fields[items[i].str()] = items[i + 1].str();
  return fields;
}

bool LogExists(Redis& redis, const std::string& id) {
  auto r = redis.Command({"EXISTS", LogKey(id)});
  return r && !r->is_error() && r->integer() > 0;
}

std::optional<JobState> StateOf(Redis& redis, const std::string& id) {
  auto r = redis.Command({"HGET", JobKey(id), "state"});
  if (!r || r->is_nil() || r->is_error()) return std::nullopt;
  return ParseJobState(r->str());
}

// The job's state, and which of its steps ran beside another (their lines get a prefix).
std::optional<JobState> Progress(Redis& redis, const std::string& id, LogPrinter& printer) {
  auto r = redis.Command({"HMGET", JobKey(id), "state", "steps"});
  if (!r || !r->is_array() || r->elements().size() != 2) return std::nullopt;
  if (!r->element(1).is_nil()) printer.set_prefixed(OverlappingSteps(r->element(1).str()));
  if (r->element(0).is_nil()) return std::nullopt;
  return ParseJobState(r->element(0).str());
}

// How following a job's log ended.
struct LogEnd {
  std::optional<JobState> state;  // final, unless interrupted or not following
  bool interrupted = false;       // Ctrl-C: the job goes on without us
};

constexpr auto kFirstQueuedNotice = std::chrono::seconds(5);
constexpr auto kQueuedNoticeEvery = std::chrono::seconds(30);

// While the job stays queued, says so on stderr now and then, with where it stands in the queue.
class QueuedNotice {
 public:
  QueuedNotice(std::string job_id, const QueuedEntry* entry)
      : job_id_(std::move(job_id)), entry_(entry), start_(std::chrono::steady_clock::now()) {}

  void Check(Redis& redis, std::optional<JobState> state) {
    const auto waited = std::chrono::steady_clock::now() - start_;
    if (!entry_ || state != JobState::kQueued || waited < next_) return;
    next_ = waited + kQueuedNoticeEvery;
    auto where = DescribeQueuePosition(redis, *entry_);
    std::fprintf(
        stderr, "raibid-agent: job %s is still queued after %llds: %s\n", job_id_.c_str(),
        static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(waited).count()),
        where ? where->c_str() : where.error().message.c_str());
  }

 private:
  const std::string job_id_;
  const QueuedEntry* entry_;
  const std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::duration next_ = kFirstQueuedNotice;
};

// Prints the log from the start, following it until the job ends (or Ctrl-C) when `follow`.
// `entry`: the job's queue entry, for notices while it waits (null: none).
Result<LogEnd> StreamLog(Redis& redis, const std::string& id, bool follow,
                         const QueuedEntry* entry = nullptr) {
  std::optional<InterruptWatch> interrupt;
  if (follow) interrupt.emplace();
  QueuedNotice notice(id, entry);
  LogPrinter printer(stdout);
  std::string last = "0-0";
  std::optional<JobState> state;
  bool final_seen = false;  // the job was final before this read: the read gets what is left
  while (true) {
    if (interrupt && interrupt->interrupted()) return LogEnd{state, true};
    const bool done = !follow || final_seen;
    RedisArgs read = {"XREAD", "COUNT", "1000"};
    if (!done) read.insert(read.end(), {"BLOCK", "500"});
    read.insert(read.end(), {"STREAMS", LogKey(id), last});
    redis.SetTimeout(std::chrono::seconds(10));
    auto r = redis.Command(read);
    if (auto s = CheckReply(r, "XREAD"); !s) return std::unexpected(s.error());
    // Read after the entries: a step that ran beside another is on record by the time its
    // output is, and the agent writes a final state only once the log is complete.
    state = Progress(redis, id, printer);
    if (follow) notice.Check(redis, state);
    size_t got = 0;
    if (r->is_array() && !r->elements().empty()) {
      for (const auto& e : ParseEntries(r->element(0).element(1))) {  // [[key, entries]]
        printer.Print(e.Field("step").value_or(""), e.Field("fd").value_or("out"),
                      e.Field("data").value_or(""));
        last = e.id;
        ++got;
      }
      std::fflush(stdout);
    }
    if (done && got == 0) return LogEnd{state};
    final_seen = state && IsFinal(*state);
  }
}

// After Ctrl-C: the job is not stopped by it; say so and how to go on.
int Interrupted(const std::string& id, std::optional<JobState> state) {
  const std::string now = state ? std::string(ToString(*state)) : "unknown";
  std::fprintf(stderr,
               "\nraibid-agent: stopped following; job %s keeps %s (state: %s).\n"
               "  cancel it:       raibid-agent cancel %s\n"
               "  follow it again: raibid-agent logs --follow %s\n",
               id.c_str(), state == JobState::kQueued ? "waiting for an agent" : "running",
               now.c_str(), id.c_str(), id.c_str());
  return 130;  // as a shell reports a command ended by SIGINT
}

// Unknown keys are most likely typos: refused unless the user says they are meant.
std::optional<std::string> UnknownKeysRefusal(const Job& job) {
  if (job.unknown_keys.empty()) return std::nullopt;
  std::string text = "invalid job: ";
  for (size_t i = 0; i < job.unknown_keys.size(); ++i) {
    text += (i ? "; " : "") + job.unknown_keys[i];
  }
  return text + "\n  (agents ignore unknown keys; submit --allow-unknown sends the job anyway)";
}

// A stream no agent's group reads yet is most likely a misspelt --queue: the job would wait
// for an agent that never comes.
void WarnIfUnread(Redis& redis, const std::string& stream, const std::string& group) {
  auto r = redis.Command({"XINFO", "GROUPS", stream});
  if (!r || r->is_error() || !r->is_array()) return;
  for (const RedisValue& g : r->elements()) {
    const auto& kv = g.elements();
    for (size_t i = 0; i + 1 < kv.size(); i += 2) {
      if (kv[i].str() == "name" && kv[i + 1].str() == group) return;
    }
  }
  std::fprintf(stderr,
               "raibid-agent: warning: no agent reads %s yet (no consumer group %s on it); the job "
               "waits until one does\n",
               stream.c_str(), group.c_str());
}

}  // namespace

int Submit(const Settings& settings, const std::string& file, const SubmitFlags& flags) {
  auto text = ReadInputFile(file, settings.input_limits.job_bytes);
  if (!text) return Error(text.error().message);
  json doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Error((file == "-" ? std::string("stdin") : file) + ": not a JSON object");
  }
  if (!doc.contains("job_id")) doc["job_id"] = GenerateJobId();
  auto job = ParseJob(doc.dump(), settings.input_limits);
  if (!job) return Error("invalid job: " + job.error().message);
  if (auto refusal = UnknownKeysRefusal(*job); refusal && !flags.allow_unknown) {
    return Error(*refusal);
  }
  auto redis = ConnectTo(settings);
  if (!redis) return Error(redis.error().message);
  const std::string& stream = flags.queue.empty() ? settings.redis.stream : flags.queue;
  StatusWriter status(**redis, {}, job->id);
  if (auto s = status.Queued(job->repository); !s) return Error(s.error().message);
  auto r = (*redis)->Command({"XADD", stream, "*", "job", doc.dump()});
  if (auto s = CheckReply(r, "XADD"); !s) return Error(s.error().message);
  if (!flags.queue.empty()) WarnIfUnread(**redis, stream, settings.redis.group);
  std::printf("%s\n", job->id.c_str());
  std::fflush(stdout);
  if (!flags.follow) return 0;
  const QueuedEntry entry{stream, settings.redis.group, r->str()};
  auto end = StreamLog(**redis, job->id, true, &entry);
  if (!end) return Error(end.error().message);
  if (end->interrupted) return Interrupted(job->id, end->state);
  return end->state == JobState::kSucceeded ? 0 : 1;
}

int ShowStatus(const Settings& settings, const std::string& job_id, bool as_json) {
  auto redis = ConnectTo(settings);
  if (!redis) return Error(redis.error().message);
  auto fields = ReadJobHash(**redis, job_id);
  if (!fields) return Error(fields.error().message);
  if (fields->empty()) return Error("job " + job_id + " not found");
  json steps = json::parse((*fields)["steps"], nullptr, false);
  if (steps.is_discarded()) steps = json::array();
  if (as_json) {
    json out = {{"job_id", job_id}};
    for (const auto& [k, v] : *fields) out[k] = v;
    out["steps"] = steps;
    json artifacts = json::parse((*fields)["artifacts"], nullptr, false);
    out["artifacts"] = artifacts.is_discarded() ? json::array() : artifacts;
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  auto& f = *fields;
  std::printf("job %s: %s\n", job_id.c_str(), f["state"].c_str());
  if (!f["agent"].empty())
    std::printf("  agent:    %s (attempt %s)\n", f["agent"].c_str(), f["attempt"].c_str());
  if (!f["started_at"].empty()) std::printf("  started:  %s\n", f["started_at"].c_str());
  if (!f["finished_at"].empty()) std::printf("  finished: %s\n", f["finished_at"].c_str());
  if (!f["current_step"].empty()) std::printf("  step:     %s\n", f["current_step"].c_str());
  if (!f["error"].empty())
    std::printf("  error:    %s (%s)\n", f["error"].c_str(), f["error_kind"].c_str());
  for (const auto& s : steps) {
    // Whatever another writer left in the hash: only whole numbers and strings are shown.
    if (!s.is_object()) continue;
    auto text = [&](const char* key) {
      auto it = s.find(key);
      return it != s.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string exit = s.contains("exit_code") && s["exit_code"].is_number_integer()
                           ? std::to_string(s["exit_code"].get<int64_t>())
                           : "-";
    std::string ms = s.contains("duration_ms") && s["duration_ms"].is_number_integer()
                         ? std::to_string(s["duration_ms"].get<int64_t>()) + " ms"
                         : "";
    std::printf("  - %-20s %-10s exit %-4s %s\n", text("name").c_str(), text("state").c_str(),
                exit.c_str(), ms.c_str());
  }
  return 0;
}

int ShowLogs(const Settings& settings, const std::string& job_id, bool follow) {
  auto redis = ConnectTo(settings);
  if (!redis) return Error(redis.error().message);
  if (!StateOf(**redis, job_id) && !LogExists(**redis, job_id)) {
    return Error("job " + job_id + " not found");
  }
  auto end = StreamLog(**redis, job_id, follow);
  if (!end) return Error(end.error().message);
  if (end->interrupted) return Interrupted(job_id, end->state);
  return 0;
}

int Cancel(const Settings& settings, const std::string& job_id) {
  auto redis = ConnectTo(settings);
  if (!redis) return Error(redis.error().message);
  auto cancel = StatusWriter(**redis, {}, job_id).Cancel();
  if (!cancel) return Error(cancel.error().message);
  const std::string state = cancel->state ? std::string(ToString(*cancel->state)) : "";
  switch (cancel->outcome) {
    case StatusWriter::CancelOutcome::kNotFound:
      return Error("job " + job_id + " not found");
    case StatusWriter::CancelOutcome::kAlreadyFinal:
      std::printf("job %s already %s\n", job_id.c_str(), state.c_str());
      return 0;
    case StatusWriter::CancelOutcome::kCancelled:
      std::printf("job %s cancelled (no agent had started it)\n", job_id.c_str());
      return 0;
    case StatusWriter::CancelOutcome::kRequested:
      std::printf("cancellation of %s requested; the agent running it stops it\n", job_id.c_str());
      return 0;
  }
  return 1;
}

}  // namespace raibid::cli
