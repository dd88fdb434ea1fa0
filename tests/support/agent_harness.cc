#include "support/agent_harness.h"

#include <stdexcept>

#include "queue/job_queue.h"
#include "report/job_state.h"
#include "report/keys.h"

namespace raibid::testing {

AgentHarness::AgentHarness(HarnessOptions options)
    : options_(options), redis_(options.persistent_redis) {
  auto endpoint = *ParseRedisUrl(redis_.url());
  source_ = std::make_unique<SourceCache>(dir_.path() / "cache" / "git", options.credentials);
  if (options.docker) {
    DockerOptions docker = *options.docker;
    if (docker.agent_name.empty()) docker.agent_name = "test-agent";
    auto made = DockerExecutor::Create(docker);
    if (!made) throw std::runtime_error(made.error().message);
    executor_ = std::move(*made);
  } else {
    executor_ = std::make_unique<ShellExecutor>(
        options.reaper.empty() ? std::filesystem::read_symlink("/proc/self/exe") : options.reaper);
  }
  RunnerOptions runner{.agent_name = "test-agent",
                       .agent_version = "test",
                       .work_dir = dir_.path() / "work",
                       .git_base_url = options.git_base_url,
                       .timeout_extension_percent = options.extension_percent,
                       .default_image = options.default_image,
                       .limits = options.limits};
  runner.masker.Add(options.secret);
  for (const auto& [name, value] : options.secret_env) runner.masker.Add(value);
  runner.secret_env = options.secret_env;
  runner.retry = options.retry;
  runner.registry = options.registry;
  runner.cache_remote = options.cache_remote;
  if (options.cache_size > 0) {
    cache_ = std::make_unique<CacheStore>(
        dir_.path() / "cache" / "deps", options.cache_size,
        std::vector<std::filesystem::path>{dir_.path() / "cache" / "git"});
    runner.cache = cache_.get();
  }
  runner_ = std::make_unique<JobRunner>(std::move(runner), *source_, *executor_,
                                        [endpoint] { return Redis::Connect(endpoint); });
  agent_ = std::make_unique<Agent>(AgentOptions{.redis = endpoint,
                                                .queue = {.consumer = "test-agent"},
                                                .concurrency = options.concurrency,
                                                .shutdown_grace = std::chrono::seconds(30),
                                                .block = std::chrono::milliseconds(200),
                                                .lease = std::chrono::seconds(6),
                                                .maintain_after_idle = options.maintain_after_idle,
                                                .maintain = options.maintain},
                                   *runner_);
  thread_ = std::thread([this] { agent_->Run(); });
}

AgentHarness::~AgentHarness() {
  agent_->RequestStop();
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
  auto redis = Redis::Connect(*ParseRedisUrl(redis_.url()));
  auto r = (*redis)->Command({"XRANGE", LogKey(job_id), "-", "+"});
  std::string text;
  for (const auto& e : ParseEntries(*r)) text += e.Field("data").value_or("");
  return text;
}

int AgentHarness::PendingCount() const {
  auto redis = Redis::Connect(*ParseRedisUrl(redis_.url()));
  auto r = (*redis)->Command({"XPENDING", "ci-jobs", "ci-workers"});
  if (!r || r->is_error() || !r->is_array()) return -1;
  return static_cast<int>(r->element(0).integer());
}

int AgentHarness::DeadCount() const { return std::stoi(redis_.Cli({"XLEN", "ci-jobs:dead"})); }

}  // namespace raibid::testing
