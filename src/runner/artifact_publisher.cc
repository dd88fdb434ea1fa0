#include "runner/artifact_publisher.h"

#include <nlohmann/json.hpp>

#include "executor/step_report.h"
#include "registry/artifact_push.h"
#include "registry/registry_client.h"

namespace raibid {

ArtifactPublisher::ArtifactPublisher(JobRegistry& registry, const std::string& reference_template,
                                     const InputLimits& limits, LogSink& log)
    : registry_(registry), reference_template_(reference_template), limits_(limits), log_(log) {}

Status ArtifactPublisher::Publish(const Pipeline& pipeline, const ArtifactOrigin& origin,
                                  StatusWriter& status) {
  if (pipeline.artifact_paths.empty()) return {};
  if (!registry_.configured()) {
    WriteSys(log_, "", "artifacts: the agent has no registry.url configured; nothing published");
    return {};
  }
  RegistryClient* client = registry_.Client();
  if (!client) {
    return Fail(ErrorKind::kInfrastructure, "artifacts: no client for registry " + registry_.url());
  }
  ArtifactRequest request{.workspace = origin.workspace,
                          .paths = pipeline.artifact_paths,
                          .log_text = origin.log(),
                          .repository = origin.job.repository,
                          .job_id = origin.job.id,
                          .revision = origin.commit,
                          .branch = origin.job.branch,
                          .source_url = origin.source_url,
                          .reference_template = reference_template_,
                          .limits = limits_};
  auto pushed = PushArtifacts(*client, request, log_);
  if (!pushed) return std::unexpected(pushed.error());
  nlohmann::ordered_json artifacts = nlohmann::ordered_json::array();
  for (const auto& a : pushed->artifacts) {
    artifacts.push_back({{"name", a.name}, {"reference", a.reference}, {"digest", a.digest}});
  }
  (void)status.Annotate({{"artifacts", artifacts.dump()}});
  WriteSys(log_, "",
           "artifacts: pushed " + std::to_string(pushed->artifacts.size()) + " layer(s) as " +
               pushed->reference + " (" + pushed->manifest_digest + ")");
  return {};
}

}  // namespace raibid
