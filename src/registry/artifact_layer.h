// Turning resolved artifact paths into layers: a file is its own blob; a directory is packed as
// tar+gzip (ORAS's convention: media type ...tar+gzip and the `io.deis.oras.content.unpack`
// annotation, so `oras pull` unpacks it) into a scratch directory removed with its owner.
#pragma once

#include <filesystem>
#include <string>

#include "registry/artifact_paths.h"
#include "registry/blob_upload.h"
#include "registry/oci_manifest.h"
#include "util/error.h"

namespace raibid {

inline constexpr std::string_view kFileLayerType = "application/octet-stream";
inline constexpr std::string_view kDirectoryLayerType =
    "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kLogLayerType = "text/plain";

struct ArtifactLayer {
  Descriptor descriptor;  // media type, digest, size, title annotation
  BlobSource blob;
};

// A private directory for packed layers, removed with everything in it by the destructor.
class ScratchDir {
 public:
  // Makes "<parent>/raibid-artifacts-XXXXXX" (parent: the system temp dir when empty).
  static Result<ScratchDir> Make(const std::filesystem::path& parent);
  ScratchDir(ScratchDir&& o) noexcept : path_(std::exchange(o.path_, {})) {}
  ScratchDir& operator=(ScratchDir&&) = delete;
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  explicit ScratchDir(std::filesystem::path p) : path_(std::move(p)) {}
  std::filesystem::path path_;
};

// The layer for one artifact path (digested here; directories packed with `tar` into `scratch`
// first). `workspace` is the canonical workspace the path was resolved in. Symlinks inside a
// directory are stored as symlinks, never followed. kInfrastructure when reading or packing fails.
Result<ArtifactLayer> MakeLayer(const ArtifactPath& path, const std::filesystem::path& workspace,
                                const ScratchDir& scratch, int index);

// A layer of `title` from a blob already digested (the job log).
ArtifactLayer BlobLayer(std::string title, std::string_view media_type, BlobSource blob);

}  // namespace raibid
