#include "cli/client.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "agent/wiring.h"
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

Result<std::string> ReadInput(const std::string& file) {
  std::stringstream ss;
  if (file == "-") {
    ss << std::cin.rdbuf();
  } else {
    std::ifstream in(file);
    if (!in) return Fail(ErrorKind::kInvalidJob, "cannot read " + file);
    ss << in.rdbuf();
  }
  return ss.str();
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

void PrintEntry(const StreamEntry& e) {
  const std::string fd = e.Field("fd").value_or("out");
  const std::string data = e.Field("data").value_or("");
  if (fd == "sys") {
    std::string_view text = data;
    while (!text.empty()) {
      size_t nl = text.find('\n');
      std::string_view line = text.substr(0, nl);
      std::printf("==> %.*s\n", static_cast<int>(line.size()), line.data());
      text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    }
  } else {
    std::fwrite(data.data(), 1, data.size(), stdout);
  }
}

std::optional<JobState> StateOf(Redis& redis, const std::string& id) {
  auto r = redis.Command({"HGET", JobKey(id), "state"});
  if (!r || r->is_nil() || r->is_error()) return std::nullopt;
  return ParseJobState(r->str());
}

// Prints the log from the start, following it until the job ends when `follow`. Returns the
// job's final state (or its state when not following).
Result<std::optional<JobState>> StreamLog(Redis& redis, const std::string& id, bool follow) {
  std::string last = "0-0";
  while (true) {
    const auto state = StateOf(redis, id);
    const bool done = !follow || (state && IsFinal(*state));
    RedisArgs read = {"XREAD", "COUNT", "1000"};
    if (!done) read.insert(read.end(), {"BLOCK", "500"});
    read.insert(read.end(), {"STREAMS", LogKey(id), last});
    redis.SetTimeout(std::chrono::seconds(10));
    auto r = redis.Command(read);
    if (auto s = CheckReply(r, "XREAD"); !s) return std::unexpected(s.error());
    size_t got = 0;
    if (r->is_array() && !r->elements().empty()) {
      for (const auto& e : ParseEntries(r->element(0).element(1))) {  // [[key, entries]]
        PrintEntry(e);
        last = e.id;
        ++got;
      }
      std::fflush(stdout);
    }
    if (done && got == 0) return state;
  }
}

}  // namespace

int Submit(const Settings& settings, const std::string& file, bool follow) {
  auto text = ReadInput(file);
  if (!text) return Error(text.error().message);
  json doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Error((file == "-" ? std::string("stdin") : file) + ": not a JSON object");
  }
  if (!doc.contains("job_id")) doc["job_id"] = GenerateJobId();
  auto job = ParseJob(doc.dump(), settings.input_limits);
  if (!job) return Error("invalid job: " + job.error().message);
  auto redis = ConnectTo(settings);
  if (!redis) return Error(redis.error().message);
  StatusWriter status(**redis, {}, job->id);
  if (auto s = status.Queued(job->repository); !s) return Error(s.error().message);
  auto r = (*redis)->Command({"XADD", settings.redis.stream, "*", "job", doc.dump()});
  if (auto s = CheckReply(r, "XADD"); !s) return Error(s.error().message);
  std::printf("%s\n", job->id.c_str());
  std::fflush(stdout);
  if (!follow) return 0;
  auto final = StreamLog(**redis, job->id, true);
  if (!final) return Error(final.error().message);
  return *final == JobState::kSucceeded ? 0 : 1;
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
  auto r = StreamLog(**redis, job_id, follow);
  if (!r) return Error(r.error().message);
  return 0;
}

int Cancel(const Settings& settings, const std::string& job_id) {
  auto redis = ConnectTo(settings);
  if (!redis) return Error(redis.error().message);
  auto state = StateOf(**redis, job_id);
  if (!state) return Error("job " + job_id + " not found");
  if (IsFinal(*state)) {
    std::printf("job %s already %s\n", job_id.c_str(), std::string(ToString(*state)).c_str());
    return 0;
  }
  auto replies = (*redis)->Pipeline(
      {{"HSET", JobKey(job_id), "cancel_requested", "1"}, {"PUBLISH", kCancelChannel, job_id}});
  if (!replies) return Error(replies.error().message);
  std::printf("cancellation of %s requested\n", job_id.c_str());
  return 0;
}

}  // namespace raibid::cli
