#include "registry/sbom_push.h"

#include "registry/oci_manifest.h"

namespace raibid {

std::string SbomTag(std::string_view image_digest) {
  std::string tag(image_digest);
  if (const auto colon = tag.find(':'); colon != std::string::npos) tag[colon] = '-';
  return tag + ".sbom";
}

Result<SbomPush> PushSbom(RegistryClient& client, const SbomRequest& request) {
  auto image = client.FetchManifest(request.repository, request.image);
  if (!image) return std::unexpected(image.error());
  auto document = BlobSource::FromFile(request.sbom);
  if (!document) return std::unexpected(document.error());
  for (const BlobSource& blob : {BlobSource::FromBytes(std::string(kEmptyJson)), *document}) {
    auto pushed = client.PushBlob(request.repository, blob);
    if (!pushed) return std::unexpected(pushed.error());
  }
  OciManifest manifest{.artifact_type = request.media_type};
  manifest.layers.push_back(
      {.media_type = request.media_type,
       .digest = document->digest,
       .size = document->size,
       .annotations = {{std::string(kTitleAnnotation), request.sbom.filename().string()}}});
  manifest.subject = Descriptor{
      .media_type = image->media_type, .digest = image->digest, .size = image->bytes.size()};
  SbomPush out{.image_digest = image->digest, .tag = SbomTag(image->digest)};
  auto digest = client.PushManifest(request.repository, out.tag, kOciManifestType,
                                    SerializeManifest(manifest));
  if (!digest) return std::unexpected(digest.error());
  out.manifest_digest = *digest;
  return out;
}

Result<std::optional<OciManifest>> FindSbom(RegistryClient& client, const std::string& repository,
                                            const std::string& image_digest) {
  auto found = client.FindManifest(repository, SbomTag(image_digest));
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::optional<OciManifest>();
  auto manifest = ParseManifest((*found)->bytes);
  if (!manifest) return std::unexpected(manifest.error());
  if (!manifest->subject || manifest->subject->digest != image_digest) {
    return Fail(ErrorKind::kInfrastructure,
                repository + ":" + SbomTag(image_digest) + " does not refer to " + image_digest);
  }
  return std::optional<OciManifest>(std::move(*manifest));
}

}  // namespace raibid
