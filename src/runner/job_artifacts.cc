// Publishing a job's artifacts: after a pipeline that succeeded, one OCI artifact per job in the
// configured registry, its files, directories and build log as layers (registry/artifact_push.h).
#include <nlohmann/json.hpp>

#include <fstream>
#include "queue/job_queue.h"
#include "util/secret_encodings.h"

#include "registry/artifact_push.h"
#include "registry/oci_reference.h"
#include "registry/registry_auth.h"
#include "registry/registry_client.h"
#include "report/redis_log_sink.h"
#include "runner/execution.h"

namespace raibid {

std::string JobRunner::Execution::ReadLogBack() {
  log_->Flush();
  auto redis = connect_();
  if (!redis) return "";
  auto r = (*redis)->Command({"XRANGE", LogKey(job_.id), "-", "+"});
  if (!r || r->is_error()) return "";
  std::string text;
  for (const auto& e : ParseEntries(*r)) text += e.Field("data").value_or("");
  return text;
}

RegistryClient* JobRunner::Execution::Registry() {
  if (!options_.registry) return nullptr;
  if (!registry_) {
    RegistryHooks hooks;
    hooks.stop = stop_;
    hooks.notice = [this](std::string_view line) { Sys("registry: " + std::string(line)); };
    hooks.credential = [masker = masker_](std::string_view token) { masker->Add(token); };
    RegistryConfig config = *options_.registry;
    config.body_limit = options_.limits.http_response_bytes;
    // The configuration was checked at start-up, so this fails only for a broken invariant.
    auto client = RegistryClient::Create(config, std::move(hooks));
    if (!client) {
      Sys("registry: " + client.error().message);
      return nullptr;
    }
    registry_ = std::move(*client);
  }
  return registry_.get();
}

void JobRunner::Execution::PrepareImagePublishing(const std::string& commit) {
  RegistryClient* client = Registry();
  if (!client) return;
  auto tag = ExpandReference(options_.image_tag, {.registry = client->host(),
                                                  .repository = job_.repository,
                                                  .job_id = job_.id,
                                                  .revision = commit,
                                                  .branch = job_.branch});
  if (!tag) {
    Sys("warning: registry.image_tag: " + tag.error().message + "; IMAGE_TAG not set");
    return;
  }
  image_env_["IMAGE_TAG"] = tag->ToString();
  if (!options_.registry) return;  // set, as Registry() made a client
  const auto& reg = *options_.registry;
  if (reg.username.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(auth_dir_, ec);
  std::filesystem::permissions(auth_dir_, std::filesystem::perms::owner_all, ec);
  const auto file = auth_dir_ / "config.json";
  nlohmann::json auth = {{"auths",
                          {{client->host(),
                            {{"auth", Base64Encode(reg.username + ":" + reg.password,
                                                   Base64Alphabet::kStandard, true)}}}}}};
  std::ofstream out(file, std::ios::trunc);
  out << auth.dump();
  out.close();
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  image_env_["DOCKER_CONFIG"] = auth_dir_.string();  // docker
  image_env_["REGISTRY_AUTH_FILE"] = file.string();  // buildah, podman, skopeo
}

std::optional<JobRunner::Execution::Failure> JobRunner::Execution::PublishArtifacts(
    const Pipeline& pipeline, const std::string& commit) {
  if (pipeline.artifact_paths.empty()) return std::nullopt;
  if (!options_.registry) {
    Sys("artifacts: the agent has no registry.url configured; nothing published");
    return std::nullopt;
  }
  RegistryClient* client = Registry();
  if (!client) {
    return Failure{JobState::kFailed,
                   ErrorKind::kInfrastructure,
                   "artifacts: no client for registry " + options_.registry->url,
                   {}};
  }
  ArtifactRequest request{.workspace = workspace_,
                          .paths = pipeline.artifact_paths,
                          .log_text = ReadLogBack(),
                          .repository = job_.repository,
                          .job_id = job_.id,
                          .revision = commit,
                          .branch = job_.branch,
                          .source_url = masker_->Apply(url_),
                          .reference_template = options_.artifact_reference,
                          .limits = options_.limits};
  auto pushed = PushArtifacts(*client, request, *log_);
  if (!pushed) {
    return Failure{
        JobState::kFailed, pushed.error().kind, masker_->Apply(pushed.error().message), {}};
  }
  nlohmann::ordered_json artifacts = nlohmann::ordered_json::array();
  for (const auto& a : pushed->artifacts) {
    artifacts.push_back({{"name", a.name}, {"reference", a.reference}, {"digest", a.digest}});
  }
  (void)status_.Annotate({{"artifacts", artifacts.dump()}});
  Sys("artifacts: pushed " + std::to_string(pushed->artifacts.size()) + " layer(s) as " +
      pushed->reference + " (" + pushed->manifest_digest + ")");
  return std::nullopt;
}

}  // namespace raibid
