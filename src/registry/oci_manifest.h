// The OCI image-spec 1.1 manifest an artifact is published as: an `artifactType`, the empty
// config ("{}", which registries such as Gitea parse, so its blob must exist), one layer per
// file, optionally a `subject` (the manifest it refers to: an SBOM names its image so), and
// annotations.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace raibid {

inline constexpr std::string_view kOciManifestType = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndexType = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciEmptyType = "application/vnd.oci.empty.v1+json";
inline constexpr std::string_view kEmptyJson = "{}";
inline constexpr std::string_view kEmptyJsonDigest =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
inline constexpr std::string_view kRaibidArtifactType = "application/vnd.raibid.build.v1";

// Annotation keys (image-spec's, and ORAS's for directories packed as tar+gzip).
inline constexpr std::string_view kTitleAnnotation = "org.opencontainers.image.title";
inline constexpr std::string_view kCreatedAnnotation = "org.opencontainers.image.created";
inline constexpr std::string_view kSourceAnnotation = "org.opencontainers.image.source";
inline constexpr std::string_view kRevisionAnnotation = "org.opencontainers.image.revision";
inline constexpr std::string_view kOrasUnpackAnnotation = "io.deis.oras.content.unpack";

struct Descriptor {
  std::string media_type;
  std::string digest;
  uint64_t size = 0;
  std::map<std::string, std::string> annotations;

  friend bool operator==(const Descriptor&, const Descriptor&) = default;
};

// The empty config: media type kOciEmptyType, digest of "{}", size 2.
Descriptor EmptyConfigDescriptor();

struct OciManifest {
  std::string artifact_type;  // "" to leave out
  Descriptor config = EmptyConfigDescriptor();
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;  // the manifest this one refers to; nullopt: none
  std::map<std::string, std::string> annotations;
};

// Serialized with schemaVersion 2 and mediaType; the bytes are what gets pushed and hashed.
std::string SerializeManifest(const OciManifest& manifest);

// Parses an OCI image manifest. kInfrastructure when it is not one (a registry answered with
// something else).
Result<OciManifest> ParseManifest(std::string_view text);

}  // namespace raibid
