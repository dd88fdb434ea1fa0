// One job's session with the configured registry: a client made on first use, so the artifacts,
// the image login and the remote cache tier share one session (and its tokens), and what steps
// that build and push images need (IMAGE_TAG, a login file). Private to the runner.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "job/job.h"
#include "registry/registry_config.h"
#include "util/input_limits.h"
#include "util/log_sink.h"
#include "util/masker.h"
#include "util/stop_token.h"

namespace raibid {

class RegistryClient;

class JobRegistry {
 public:
  // `config`: none when the agent has no registry. Registry notices go to `log` as sys lines;
  // credentials the client obtains are added to `masker`. All references must outlive this.
  JobRegistry(const std::optional<RegistryConfig>& config, const InputLimits& limits,
              const StopSource& stop, LogSink& log, std::shared_ptr<Masker> masker);
  ~JobRegistry();

  bool configured() const { return config_.has_value(); }
  std::string url() const { return config_ ? config_->url : ""; }
  // The job's client, made on first use; null without a registry (or, for a broken invariant,
  // when the checked configuration makes no client: said in the log).
  RegistryClient* Client();

  // IMAGE_TAG from `image_tag` for the job at `commit`, and with `login`, a login file holding
  // it written under `auth_dir` (DOCKER_CONFIG, REGISTRY_AUTH_FILE). The agent's own registry
  // credentials never go there. Empty without a registry.
  std::map<std::string, std::string> ImagePublishingEnv(
      const std::string& image_tag, const Job& job, const std::string& commit,
      const std::filesystem::path& auth_dir, const std::optional<StepRegistryLogin>& login);

 private:
  const std::optional<RegistryConfig>& config_;
  const InputLimits& limits_;
  const StopSource& stop_;
  LogSink& log_;
  const std::shared_ptr<Masker> masker_;
  std::unique_ptr<RegistryClient> client_;
};

}  // namespace raibid
