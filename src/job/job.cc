#include "job/job.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <random>

#include "util/env_name.h"
#include "util/near_name.h"

namespace raibid {
namespace {

using nlohmann::json;

// Documents deeper than limits.json_depth are refused: printing one recurses once per level (a
// stack overflow at ~100,000 levels). The inline pipeline is printed compact, at most the size of
// the job.

std::string TypeName(const json& v) { return v.type_name(); }

// Finds the top-level "job_id" of a message too large to parse whole, so the job still fails
// under its id: nlohmann's SAX parser builds nothing (it keeps only the token it is reading), and
// this handler keeps nothing but the id, decoded as ParseJob would read it. It stops at the id's
// value, at the end of the top-level object, at anything that is not an object at the top, and at a
// container nested deeper than `max_depth`, so hostile nesting costs nothing.
class JobIdPeeker final : public nlohmann::json_sax<json> {
 public:
  explicit JobIdPeeker(uint64_t max_depth) : max_depth_(max_depth) {}

  // The id when one was found and is valid (IsValidJobId).
  std::optional<std::string> TakeId() { return std::move(id_); }

  bool null() override { return NotTheId(); }
  bool boolean(bool) override { return NotTheId(); }
  bool number_integer(number_integer_t) override { return NotTheId(); }
  bool number_unsigned(number_unsigned_t) override { return NotTheId(); }
  bool number_float(number_float_t, const string_t&) override { return NotTheId(); }
  bool binary(binary_t&) override { return NotTheId(); }
  bool string(string_t& value) override {
    if (depth_ == 0) return false;  // a string is not a job
    if (!id_next_) return true;
    if (IsValidJobId(value)) id_ = std::move(value);
    return false;  // usable or not, the id was read
  }
  bool key(string_t& key) override {
    id_next_ = depth_ == 1 && key == "job_id";
    return true;
  }
  bool start_object(std::size_t) override { return Open(); }
  bool start_array(std::size_t) override { return depth_ > 0 && Open(); }
  bool end_object() override { return --depth_ > 0; }  // the top-level object ended: no id
  bool end_array() override { return --depth_ > 0; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  // A value other than a string: job_id's (not a string, so no id) or one to pass over.
  bool NotTheId() const { return depth_ > 0 && !id_next_; }
  bool Open() {
    if (id_next_ || depth_ >= max_depth_) return false;
    ++depth_;
    return true;
  }

  const uint64_t max_depth_;
  uint64_t depth_ = 0;
  bool id_next_ = false;  // the next value is the top-level job_id's
  std::optional<std::string> id_;
};

std::optional<std::string> PeekJobId(std::string_view text, uint64_t max_depth) {
  JobIdPeeker peeker(max_depth);
  (void)json::sax_parse(text.begin(), text.end(), &peeker);
  return peeker.TakeId();
}

// Reads an optional string field; an error message naming it when present with another type.
std::optional<std::string> ReadString(const json& doc, const char* key, std::string* out) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    return std::string(key) + ": expected a string, got " + TypeName(*it);
  }
  *out = it->get<std::string>();
  return std::nullopt;
}

// `key` ("env" or "secret_env"): an object of NAME: value. A secret's value never appears in a
// message.
std::optional<std::string> ReadEnvMap(const json& doc, const std::string& key,
                                      std::map<std::string, std::string>* env) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return key + ": expected an object of NAME: value, got " + TypeName(*it);
  for (const auto& [k, v] : it->items()) {
    if (!IsEnvName(k)) return fmt::format("{}.{}: a variable name is {}", key, k, kEnvNameRule);
    if (v.is_string()) {
      (*env)[k] = v.get<std::string>();
    } else if (v.is_number() || v.is_boolean()) {
      (*env)[k] = v.dump();
    } else {
      return fmt::format("{}.{}: expected a string, number or boolean, got {}", key, k,
                         TypeName(v));
    }
  }
  return std::nullopt;
}

std::optional<std::string> ReadEnv(const json& doc, Job* job, const InputLimits& limits) {
  if (auto e = ReadEnvMap(doc, "env", &job->env)) return e;
  if (auto e = ReadEnvMap(doc, "secret_env", &job->secret_env)) return e;
  for (const auto& [name, value] : job->secret_env) {
    if (job->env.contains(name)) {
      return "secret_env." + name + ": also in env; give a variable in one of them";
    }
  }
  const uint64_t bytes = EnvBytes(job->env) + EnvBytes(job->secret_env);
  if (bytes > limits.env_bytes) {
    return std::string(job->secret_env.empty() ? "env" : "env and secret_env") + " of " +
           SizeOverLimit(bytes, "env_bytes", limits.env_bytes);
  }
  return std::nullopt;
}

std::optional<std::string> ReadFields(const json& doc, Job* job, const InputLimits& limits) {
  for (auto [key, out] : {std::pair{"repository", &job->repository},
                          {"commit", &job->commit},
                          {"branch", &job->branch},
                          {"tag", &job->tag}}) {
    if (auto err = ReadString(doc, key, out)) return err;
  }
  if (job->repository.empty()) return "repository: required (owner/name or a URL)";
  if (job->commit.empty() && job->branch.empty() && job->tag.empty()) {
    return "commit, branch or tag: at least one is required";
  }
  if (auto it = doc.find("pipeline"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) return "pipeline: expected an object, got " + TypeName(*it);
    job->pipeline_text = it->dump();
  }
  if (auto it = doc.find("timeout_minutes"); it != doc.end() && !it->is_null()) {
    if (!it->is_number()) return "timeout_minutes: expected a number, got " + TypeName(*it);
    double t = it->get<double>();
    if (!std::isfinite(t) || t <= 0) return "timeout_minutes: must be greater than 0";
    job->timeout_minutes = t;
  }
  if (auto it = doc.find("cache_enabled"); it != doc.end() && !it->is_null()) {
    if (!it->is_boolean()) return "cache_enabled: expected true or false, got " + TypeName(*it);
    job->cache_enabled = it->get<bool>();
  }
  return ReadEnv(doc, job, limits);
}

// `key` for a message: JSON escapes for control bytes and the like, cut after 60 bytes, in single
// quotes.
std::string QuoteKey(const std::string& key) {
  constexpr size_t kMaxShown = 60;
  std::string text = json(key).dump(-1, ' ', false, json::error_handler_t::replace);
  text = text.substr(1, text.size() - 2);
  if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
  return "'" + text + "'";
}

std::vector<std::string> UnknownKeys(const json& doc) {
  std::vector<std::string> notes;
  size_t unknown = 0;
  for (const auto& [key, value] : doc.items()) {
    if (std::find(kJobKeys.begin(), kJobKeys.end(), key) != kJobKeys.end()) continue;
    if (++unknown <= kMaxUnknownKeyNotes) {
      notes.push_back("unknown key " + QuoteKey(key) + DidYouMean(key, kJobKeys));
    }
  }
  if (unknown > kMaxUnknownKeyNotes) {
    notes.push_back(fmt::format("and {} more unknown keys", unknown - kMaxUnknownKeyNotes));
  }
  return notes;
}

// A failed job's message names its unknown keys too: a typo is the likely cause.
std::string WithUnknownKeys(std::string message, const std::vector<std::string>& notes) {
  for (const auto& note : notes) message += "; " + note;
  return message;
}

}  // namespace

const std::vector<std::string_view> kJobKeys = {
    "job_id",   "repository",      "commit",        "branch", "tag",
    "pipeline", "timeout_minutes", "cache_enabled", "env",    "secret_env"};

bool IsValidJobId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string GenerateJobId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[24];
  snprintf(buf, sizeof buf, "job-%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

std::expected<Job, JobError> ParseJob(std::string_view text, const InputLimits& limits) {
  if (text.size() > limits.job_bytes) {
    return std::unexpected(
        JobError{PeekJobId(text, limits.json_depth),
                 "job message of " + SizeOverLimit(text.size(), "job_bytes", limits.job_bytes)});
  }
  // A container nested too deep is left out (its contents are never built), so the rest of
  // the entry, its job_id above all, still reads and the job fails under its id.
  bool too_deep = false;
  const json::parser_callback_t depth_guard = [&](int depth, json::parse_event_t event, json&) {
    const bool opens =
        event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
    if (opens && static_cast<uint64_t>(depth) >= limits.json_depth) {
      too_deep = true;
      return false;
    }
    return true;
  };
  json doc = json::parse(text, depth_guard, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::unexpected(JobError{std::nullopt, "job is not valid JSON"});
  if (!doc.is_object()) {
    return std::unexpected(
        JobError{std::nullopt, "job must be a JSON object, got " + TypeName(doc)});
  }
  auto id = doc.find("job_id");
  if (id == doc.end() || !id->is_string() || !IsValidJobId(id->get<std::string>())) {
    return std::unexpected(JobError{
        std::nullopt, WithUnknownKeys("job_id: missing or not 1-128 characters of [A-Za-z0-9._-]",
                                      UnknownKeys(doc))});
  }
  if (too_deep) {
    return std::unexpected(JobError{id->get<std::string>(),
                                    "job is nested deeper than " + LimitKey("json_depth") + " (" +
                                        std::to_string(limits.json_depth) + " levels)"});
  }
  Job job;
  job.id = id->get<std::string>();
  job.unknown_keys = UnknownKeys(doc);
  if (auto err = ReadFields(doc, &job, limits)) {
    return std::unexpected(JobError{job.id, WithUnknownKeys(*err, job.unknown_keys)});
  }
  return job;
}

}  // namespace raibid
