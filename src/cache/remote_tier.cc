#include "cache/remote_tier.h"

#include <unistd.h>

#include "registry/blob_upload.h"
#include "registry/oci_manifest.h"

namespace raibid {
namespace {

constexpr std::string_view kCacheArtifactType = "application/vnd.raibid.cache.v1";
constexpr std::string_view kCacheLayerType = "application/vnd.raibid.cache.tar+zstd";

}  // namespace

std::string RemoteCacheTier::Repository(const CacheKey& key) {
  return "raibid-cache/" + HashName(key.scope);
}

std::string RemoteCacheTier::Tag(const CacheKey& key) { return "c-" + HashName(key.name); }

Result<bool> RemoteCacheTier::Fetch(const CacheKey& key, const std::filesystem::path& dest,
                                    const InputLimits& limits) {
  auto found = client_.FindManifest(Repository(key), Tag(key));
  if (!found) return std::unexpected(found.error());
  const std::optional<FetchedManifest>& manifest = *found;
  if (!manifest) return false;  // nobody saved this key yet
  auto parsed = ParseManifest(manifest->bytes);
  if (!parsed) return std::unexpected(parsed.error());
  if (parsed->artifact_type != kCacheArtifactType || parsed->layers.size() != 1) return false;
  if (const uint64_t size = parsed->layers[0].size; size > limits.cache_archive_bytes) {
    return Fail(ErrorKind::kInfrastructure,
                "the entry is " +
                    SizeOverLimit(size, "cache_archive_bytes", limits.cache_archive_bytes) +
                    "; not fetched");
  }
  std::error_code ec;
  std::filesystem::create_directories(dest.parent_path(), ec);
  const auto tmp = dest.string() + ".remote-" + std::to_string(getpid());
  if (auto got = client_.FetchBlob(Repository(key), parsed->layers[0].digest, tmp); !got) {
    std::filesystem::remove(tmp, ec);
    return std::unexpected(got.error());
  }
  std::filesystem::rename(tmp, dest, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Fail(ErrorKind::kInfrastructure,
                "cannot store the fetched cache entry " + dest.string());
  }
  return true;
}

Status RemoteCacheTier::Push(const CacheKey& key, const std::filesystem::path& entry) {
  auto blob = BlobSource::FromFile(entry);
  if (!blob) return std::unexpected(blob.error());
  const std::string repo = Repository(key);
  if (auto config = client_.PushBlob(repo, BlobSource::FromBytes(std::string(kEmptyJson)));
      !config) {
    return std::unexpected(config.error());
  }
  if (auto layer = client_.PushBlob(repo, *blob); !layer) return std::unexpected(layer.error());
  OciManifest manifest{
      .artifact_type = std::string(kCacheArtifactType),
      .layers = {Descriptor{
          .media_type = std::string(kCacheLayerType), .digest = blob->digest, .size = blob->size}},
      .annotations = {{"io.raibid.cache.key", key.ToString()}}};
  auto pushed = client_.PushManifest(repo, Tag(key), kOciManifestType, SerializeManifest(manifest));
  if (!pushed) return std::unexpected(pushed.error());
  return {};
}

}  // namespace raibid
