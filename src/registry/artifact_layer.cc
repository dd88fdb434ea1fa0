#include "registry/artifact_layer.h"

#include <cstdlib>

#include "process/run_command.h"

namespace raibid {

namespace fs = std::filesystem;

Result<ScratchDir> ScratchDir::Make(const fs::path& parent) {
  std::error_code ec;
  const fs::path base = parent.empty() ? fs::temp_directory_path(ec) : parent;
  fs::create_directories(base, ec);
  std::string tmpl = (base / "raibid-artifacts-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return std::unexpected(
        ErrnoError(errno, "cannot make a scratch directory in " + base.string()));
  }
  return ScratchDir(fs::path(tmpl));
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

ArtifactLayer BlobLayer(std::string title, std::string_view media_type, BlobSource blob) {
  ArtifactLayer layer;
  layer.descriptor = Descriptor{.media_type = std::string(media_type),
                                .digest = blob.digest,
                                .size = blob.size,
                                .annotations = {{std::string(kTitleAnnotation), std::move(title)}}};
  layer.blob = std::move(blob);
  return layer;
}

namespace {

// tar+gzip of `path` with entries named by its place in the workspace. Owner and group are
// zeroed: the agent's uid means nothing to whoever unpacks it.
Result<fs::path> Pack(const ArtifactPath& path, const fs::path& workspace,
                      const ScratchDir& scratch, int index) {
  fs::path out = scratch.path() / ("layer-" + std::to_string(index) + ".tar.gz");
  const std::string member = path.absolute.lexically_relative(workspace).string();
  CommandSpec spec{.argv = {"tar", "--create", "--gzip", "--file", out.string(), "--directory",
                            workspace.string(), "--sort=name", "--owner=0", "--group=0",
                            "--numeric-owner", "--", member},
                   .max_output = 64 << 10};
  auto r = RunCommand(spec);
  if (!r) return std::unexpected(r.error());
  if (!r->ok()) {
    return Fail(ErrorKind::kInfrastructure, "packing " + path.relative + " with tar failed (exit " +
                                                std::to_string(r->exit_code) +
                                                "): " + r->err.substr(0, 2000));
  }
  return out;
}

}  // namespace

Result<ArtifactLayer> MakeLayer(const ArtifactPath& path, const fs::path& workspace,
                                const ScratchDir& scratch, int index) {
  fs::path file = path.absolute;
  if (path.directory) {
    auto packed = Pack(path, workspace, scratch, index);
    if (!packed) return std::unexpected(packed.error());
    file = *packed;
  }
  auto blob = BlobSource::FromFile(file);
  if (!blob) return std::unexpected(blob.error());
  ArtifactLayer layer = BlobLayer(
      path.relative, path.directory ? kDirectoryLayerType : kFileLayerType, std::move(*blob));
  if (path.directory) layer.descriptor.annotations[std::string(kOrasUnpackAnnotation)] = "true";
  return layer;
}

}  // namespace raibid
