#include "runner/job_registry.h"

#include <nlohmann/json.hpp>

#include <fstream>

#include "executor/step_report.h"
#include "registry/oci_reference.h"
#include "registry/registry_client.h"
#include "util/secret_encodings.h"

namespace raibid {
namespace {

// The login file docker, buildah, podman and skopeo read; only its owner may read it.
std::filesystem::path WriteAuthFile(const std::filesystem::path& dir, const std::string& host,
                                    const StepRegistryLogin& login) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  const auto file = dir / "config.json";
  nlohmann::json auth = {{"auths",
                          {{host,
                            {{"auth", Base64Encode(login.username + ":" + login.password,
                                                   Base64Alphabet::kStandard, true)}}}}}};
  std::ofstream out(file, std::ios::trunc);
  out << auth.dump();
  out.close();
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  return file;
}

}  // namespace

JobRegistry::JobRegistry(const std::optional<RegistryConfig>& config, const InputLimits& limits,
                         const StopSource& stop, LogSink& log, std::shared_ptr<Masker> masker)
    : config_(config), limits_(limits), stop_(stop), log_(log), masker_(std::move(masker)) {}

JobRegistry::~JobRegistry() = default;

RegistryClient* JobRegistry::Client() {
  if (!config_) return nullptr;
  if (!client_) {
    RegistryHooks hooks;
    hooks.stop = &stop_;
    hooks.notice = [this](std::string_view line) {
      WriteSys(log_, "", "registry: " + std::string(line));
    };
    hooks.credential = [masker = masker_](std::string_view token) { masker->Add(token); };
    RegistryConfig config = *config_;
    config.body_limit = limits_.http_response_bytes;
    // The configuration was checked at start-up, so this fails only for a broken invariant.
    auto client = RegistryClient::Create(config, std::move(hooks));
    if (!client) {
      WriteSys(log_, "", "registry: " + client.error().message);
      return nullptr;
    }
    client_ = std::move(*client);
  }
  return client_.get();
}

std::map<std::string, std::string> JobRegistry::ImagePublishingEnv(
    const std::string& image_tag, const Job& job, const std::string& commit,
    const std::filesystem::path& auth_dir, const std::optional<StepRegistryLogin>& login) {
  std::map<std::string, std::string> env;
  RegistryClient* client = Client();
  if (!client) return env;
  auto tag = ExpandReference(image_tag, {.registry = client->host(),
                                         .repository = job.repository,
                                         .job_id = job.id,
                                         .revision = commit,
                                         .branch = job.branch});
  if (!tag) {
    WriteSys(log_, "",
             "warning: registry.image_tag: " + tag.error().message + "; IMAGE_TAG not set");
    return env;
  }
  env["IMAGE_TAG"] = tag->ToString();
  if (!login) return env;
  const auto file = WriteAuthFile(auth_dir, client->host(), *login);
  env["DOCKER_CONFIG"] = auth_dir.string();   // docker
  env["REGISTRY_AUTH_FILE"] = file.string();  // buildah, podman, skopeo
  return env;
}

}  // namespace raibid
