#include "support/agent_harness.h"

#include <stdexcept>

#include "queue/job_queue.h"
#include "report/job_state.h"
#include "report/keys.h"

namespace raibid::testing {

namespace {

std::optional<RedisTlsFiles> TlsFiles(const TestPki* pki) {
  if (pki == nullptr) return std::nullopt;
  return RedisTlsFiles{.ca = pki->ca(), .cert = pki->server_cert(), .key = pki->server_key()};
}

}  // namespace

AgentHarness::AgentHarness(HarnessOptions options)
    : options_(std::move(options)),
      pki_(options_.redis_tls ? std::make_unique<TestPki>() : nullptr),
      redis_(options_.persistent_redis, TlsFiles(pki_.get())) {
  auto wired =
      WireAgent(ToSettings(),
                {.reaper = options_.reaper.empty() ? std::filesystem::read_symlink("/proc/self/exe")
                                                   : options_.reaper,
                 .version = "test",
                 .block = std::chrono::milliseconds(200),
                 .maintain = options_.maintain,
                 .take_over = options_.take_over});
  if (!wired) throw std::runtime_error(wired.error().message);
  wired_ = std::move(*wired);
  thread_ = std::thread([this] { exit_code_ = wired_->agent().Run(); });
}

Settings AgentHarness::ToSettings() const {
  Settings s;
  s.redis = {.url = options_.redis_url.empty() ? redis_.url() : options_.redis_url,
             .consumer = options_.consumer};
  if (pki_) s.redis.tls.ca_file = pki_->ca();
  if (options_.lease_seconds > 0) s.lease_seconds = options_.lease_seconds;
  s.work_dir = options_.work_dir.empty() ? dir_.path() / "work" : options_.work_dir;
  s.min_free_disk_bytes = options_.min_free_disk;
  s.cache_path = dir_.path() / "cache";
  s.cache_enabled = options_.cache_size > 0;
  s.cache_size_bytes = options_.cache_size;
  s.cache_remote = options_.cache_remote;
  s.idle_maintenance_seconds = static_cast<int>(options_.maintain_after_idle.count());
  s.git_base_url = options_.git_base_url;
  if (options_.credentials) {
    s.git_username = options_.credentials->username;
    s.git_token_file = options_.credentials->token_file;
  } else if (!options_.secret.empty()) {
    s.git_token_file = SecretFile("git-token", options_.secret);
  }
  for (const auto& [name, value] : options_.secret_env)
    s.secret_files[name] = SecretFile(name, value);
  if (options_.registry) {
    s.registry_url = options_.registry->url;
    s.registry_username = options_.registry->username;
    if (!options_.registry->password.empty()) {
      s.registry_password_file = SecretFile("registry-password", options_.registry->password);
    }
    if (options_.step_login) {
      s.registry_step_username = options_.step_login->username;
      s.registry_step_password_file = SecretFile("step-password", options_.step_login->password);
    }
    s.registry_insecure = options_.registry->insecure;
    s.registry_ca_file = options_.registry->ca_file;
    s.registry_chunk_size = options_.registry->chunk_size;
  }
  if (options_.docker) {
    s.executor = ExecutorKind::kDocker;
    s.docker = *options_.docker;
    s.docker_host = options_.docker_host;
  }
  s.shell = options_.shell;
  s.image = options_.default_image;
  s.input_limits = options_.limits;
  s.concurrency = options_.concurrency;
  s.timeout_extension_percent = options_.extension_percent;
  s.retry_initial_seconds = std::chrono::duration<double>(options_.retry.initial).count();
  s.retry_max_retries = options_.retry.max_retries;
  s.retry_jitter_percent = options_.retry.jitter * 100;
  s.shutdown_grace_seconds = 30;
  s.lease_seconds = 6;
  return s;
}

std::filesystem::path AgentHarness::SecretFile(const std::string& name,
                                               const std::string& value) const {
  const auto path = dir_.path() / "secrets" / name;
  WriteFile(path, value);
  return path;
}

AgentHarness::~AgentHarness() {
  wired_->agent().RequestStop();
  thread_.join();
}

std::string AgentHarness::Enqueue(const std::string& json) {
  return redis_.Cli({"XADD", "ci-jobs", "*", "job", json});
}

std::string AgentHarness::Field(const std::string& job_id, const std::string& field) const {
  return redis_.Cli({"HGET", JobKey(job_id), field});
}

std::string AgentHarness::WaitFinal(const std::string& job_id, std::chrono::milliseconds timeout) {
  std::string state;
  WaitFor(
      [&] {
        state = Field(job_id, "state");
        auto parsed = ParseJobState(state);
        return parsed && IsFinal(*parsed);
      },
      timeout);
  auto parsed = ParseJobState(state);
  return parsed && IsFinal(*parsed) ? state : "";
}

std::string AgentHarness::Log(const std::string& job_id) const {
  auto redis = Redis::Connect(redis_endpoint());
  auto r = (*redis)->Command({"XRANGE", LogKey(job_id), "-", "+"});
  std::string text;
  for (const auto& e : ParseEntries(*r)) text += e.Field("data").value_or("");
  return text;
}

int AgentHarness::PendingCount() const {
  auto redis = Redis::Connect(redis_endpoint());
  auto r = (*redis)->Command({"XPENDING", "ci-jobs", "ci-workers"});
  if (!r || r->is_error() || !r->is_array()) return -1;
  return static_cast<int>(r->element(0).integer());
}

RedisEndpoint AgentHarness::redis_endpoint() const {
  RedisEndpoint ep = *ParseRedisUrl(redis_.url());
  if (pki_) ep.tls.ca_file = pki_->ca();
  return ep;
}

int AgentHarness::DeadCount() const { return std::stoi(redis_.Cli({"XLEN", "ci-jobs:dead"})); }

}  // namespace raibid::testing
