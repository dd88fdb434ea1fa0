// Publishing a job's results as one OCI artifact (image-spec 1.1): artifactType
// application/vnd.raibid.build.v1, the empty config, one layer per artifact path (directories
// as tar+gzip) titled with its workspace-relative path, the job log as a layer of its own
// ("raibid-build.log"), and annotations for the creation time, source, revision and job id.
// Tagged by a reference template, "{registry}/{repository}:build-{job_id}" by default,
// lower-cased as Gitea requires.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "registry/oci_reference.h"
#include "registry/registry_client.h"
#include "util/error.h"
#include "util/input_limits.h"
#include "util/log_sink.h"

namespace raibid {

inline constexpr std::string_view kLogLayerTitle = "raibid-build.log";
inline constexpr std::string_view kJobIdAnnotation = "dev.raibid.job.id";

struct ArtifactRequest {
  std::filesystem::path workspace;
  std::vector<std::string> paths;  // the pipeline's artifacts.paths: files, directories, globs
  // The job's log (copied before it is digested, so it may still grow); when empty, log_text is
  // published instead.
  std::filesystem::path log_file;
  std::string log_text;
  std::string repository;  // the job's repository: "owner/name", or its URL
  std::string job_id;
  std::string revision;  // the commit built
  std::string branch;
  std::string source_url;  // the repository's web or clone URL (any user:password@ is dropped)
  std::string reference_template = std::string(kDefaultArtifactReference);
  // Another repository of the same registry likely to hold identical blobs (e.g. the upstream
  // of a fork); tried as a cross-repository mount before uploading. Empty: none.
  std::string mount_from;
  std::filesystem::path scratch_dir;   // where directories are packed; empty: the temp dir
  std::string log_step = "artifacts";  // the step name progress lines are logged under
  // `artifacts` bounds the files and directories matched, `artifact_bytes` their total size as
  // published (a directory packed); the job log is not counted.
  InputLimits limits;
};

// One published file, as the job hash's `artifacts` field lists it.
struct PushedArtifact {
  std::string name;       // the layer's title: "dist/app", or kLogLayerTitle
  std::string reference;  // "registry/owner/name:build-<job_id>"
  std::string digest;     // the layer's blob digest
};

struct ArtifactPush {
  std::string reference;                  // the tag pushed
  std::string manifest_digest;            // pinning it: reference's repository + "@" + this
  std::vector<PushedArtifact> artifacts;  // in manifest order, the log last
};

// Resolves the paths (kInvalidPipeline naming an escaping entry, or more matches than
// limits.artifacts), checks their size against limits.artifact_bytes (before packing, by the
// files' sizes, and again as packed; kInvalidPipeline naming the limit), packs and digests the
// layers (streaming: memory stays constant), pushes the config, the layers (each skipped when
// the registry has it) and the manifest. Registry failures are kInfrastructure naming the
// registry and HTTP status; retryable when the retries ran out on a transient failure.
// Progress goes to `sink` as sys lines: warnings, each layer, the reference pushed.
// Retry notices go there too while the push runs (the client's notice hook is borrowed).
Result<ArtifactPush> PushArtifacts(RegistryClient& client, const ArtifactRequest& req,
                                   LogSink& sink);

}  // namespace raibid
