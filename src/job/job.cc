#include "job/job.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <random>

namespace raibid {
namespace {

using nlohmann::json;

constexpr size_t kMaxJobBytes = 1 << 20;

std::string TypeName(const json& v) { return v.type_name(); }

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

std::optional<std::string> ReadEnv(const json& doc, std::map<std::string, std::string>* env) {
  auto it = doc.find("env");
  if (it == doc.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return "env: expected an object of NAME: value, got " + TypeName(*it);
  for (const auto& [k, v] : it->items()) {
    if (k.empty() || k.find('=') != std::string::npos || k.find('\0') != std::string::npos) {
      return "env: invalid variable name '" + k + "'";
    }
    if (v.is_string()) {
      (*env)[k] = v.get<std::string>();
    } else if (v.is_number() || v.is_boolean()) {
      (*env)[k] = v.dump();
    } else {
      return "env." + k + ": expected a string, number or boolean, got " + TypeName(v);
    }
  }
  return std::nullopt;
}

std::optional<std::string> ReadFields(const json& doc, Job* job) {
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
    job->pipeline_text = it->dump(2);
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
  return ReadEnv(doc, &job->env);
}

}  // namespace

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

std::expected<Job, JobError> ParseJob(std::string_view text) {
  if (text.size() > kMaxJobBytes) {
    return std::unexpected(JobError{std::nullopt, "job is larger than 1 MiB"});
  }
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return std::unexpected(JobError{std::nullopt, "job is not valid JSON"});
  if (!doc.is_object()) {
    return std::unexpected(JobError{std::nullopt, "job must be a JSON object, got " + TypeName(doc)});
  }
  auto id = doc.find("job_id");
  if (id == doc.end() || !id->is_string() || !IsValidJobId(id->get<std::string>())) {
    return std::unexpected(
        JobError{std::nullopt, "job_id: missing or not 1-128 characters of [A-Za-z0-9._-]"});
  }
  Job job;
  job.id = id->get<std::string>();
  if (auto err = ReadFields(doc, &job)) return std::unexpected(JobError{job.id, *err});
  return job;
}

}  // namespace raibid
