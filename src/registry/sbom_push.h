// Publishing an image's SBOM beside the image, the way image-spec 1.1 relates artifacts to what
// they describe: an artifact manifest (artifactType the SBOM's media type, the empty config, the
// document as its one layer) whose `subject` is the image's manifest (or index) in the same
// repository. Registries with the referrers API list it under the image's digest; for those
// without (distribution 2.8, Gitea) it is also tagged by the tag-schema fallback
// "sha256-<hex>.sbom", so a client that knows the image's digest finds it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "registry/oci_manifest.h"
#include "registry/registry_client.h"
#include "util/error.h"

namespace raibid {

inline constexpr std::string_view kSpdxJsonType = "application/spdx+json";

struct SbomRequest {
  std::string repository;      // "raibid/rust-builder"
  std::string image;           // the image in `repository`: a tag or a "sha256:..." digest
  std::filesystem::path sbom;  // the document
  std::string media_type = std::string(kSpdxJsonType);
};

struct SbomPush {
  std::string image_digest;     // the subject: the image's manifest digest
  std::string manifest_digest;  // the SBOM artifact's manifest
  std::string tag;              // SbomTag(image_digest)
};

// "sha256:abc..." -> "sha256-abc....sbom".
std::string SbomTag(std::string_view image_digest);

// Resolves `image` to its manifest (kInfrastructure when the registry lacks it), pushes the
// document and the empty config as blobs (skipped when present) and the artifact manifest under
// SbomTag. Failures are the client's (kInfrastructure naming the registry and status).
Result<SbomPush> PushSbom(RegistryClient& client, const SbomRequest& request);

// The SBOM artifact tagged for `image_digest` in `repository`, its subject checked against that
// digest; nullopt when there is none.
Result<std::optional<OciManifest>> FindSbom(RegistryClient& client, const std::string& repository,
                                            const std::string& image_digest);

}  // namespace raibid
