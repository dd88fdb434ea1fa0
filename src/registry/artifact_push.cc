#include "registry/artifact_push.h"

#include <cstdio>

#include "http/http_url.h"
#include "registry/artifact_layer.h"
#include "util/clock.h"
#include "util/text.h"

namespace raibid {
namespace {

// Progress lines to the job log; restores the client's notice hook when done.
class Progress {
 public:
  Progress(RegistryClient& client, LogSink& sink, std::string step)
      : client_(client), sink_(sink), step_(std::move(step)) {
    previous_ = client_.ExchangeNotice([this](std::string_view line) { Line(line); });
  }
  ~Progress() {
    client_.ExchangeNotice(std::move(previous_));
    sink_.Flush();
  }
  void Line(std::string_view text) {
    sink_.Write(step_, LogFd::kSys, "artifacts: " + std::string(text) + "\n");
  }

 private:
  RegistryClient& client_;
  LogSink& sink_;
  std::string step_;
  std::function<void(std::string_view)> previous_;
};

// The log as a blob. A log file is copied first: the job's log may still grow (this push writes
// to it), and a blob must not change between its digest and its upload.
Result<BlobSource> LogBlob(const ArtifactRequest& req, const ScratchDir& scratch) {
  if (req.log_file.empty()) return BlobSource::FromBytes(req.log_text);
  const auto copy = scratch.path() / kLogLayerTitle;
  std::error_code ec;
  std::filesystem::copy_file(req.log_file, copy, ec);
  if (ec) {
    return std::unexpected(ErrnoError(ec, "cannot copy the log " + req.log_file.string()));
  }
  return BlobSource::FromFile(copy);
}

// The bytes of the regular files at `path` (a directory's tree, links not followed): what
// publishing it costs before a directory is packed.
uint64_t ContentBytes(const ArtifactPath& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!path.directory) {
    const auto size = fs::file_size(path.absolute, ec);
    return ec ? 0 : size;
  }
  uint64_t total = 0;
  for (auto it = fs::recursive_directory_iterator(path.absolute, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_symlink(ec) || !it->is_regular_file(ec)) continue;
    const auto size = it->file_size(ec);
    if (!ec) total += size;
  }
  return total;
}

Status CheckCount(const ResolvedArtifacts& resolved, const InputLimits& limits) {
  if (resolved.paths.size() <= limits.artifacts) return {};
  return Fail(ErrorKind::kInvalidPipeline,
              "artifacts.paths: " + std::to_string(resolved.paths.size()) +
                  " files and directories matched, more than " +
                  CountLimitText("artifacts", limits.artifacts));
}

Status CheckBytes(uint64_t bytes, const InputLimits& limits, std::string_view how) {
  if (bytes <= limits.artifact_bytes) return {};
  return Fail(ErrorKind::kInvalidPipeline,
              "artifacts.paths: " + std::string(how) + " " +
                  SizeNear(bytes, limits.artifact_bytes) + ", over " +
                  SizeLimitText("artifact_bytes", limits.artifact_bytes));
}

Result<std::vector<ArtifactLayer>> MakeLayers(const ArtifactRequest& req,
                                              const ResolvedArtifacts& resolved,
                                              const ScratchDir& scratch) {
  uint64_t content = 0;
  for (const auto& path : resolved.paths) {
    if (path.relative == kLogLayerTitle) {
      return Fail(ErrorKind::kInvalidPipeline,
                  "artifacts.paths: '" + path.relative + "' clashes with the job log's title");
    }
    content += ContentBytes(path);
    if (auto s = CheckBytes(content, req.limits, "the files matched hold"); !s) {
      return std::unexpected(s.error());
    }
  }
  std::vector<ArtifactLayer> layers;
  uint64_t published = 0;
  for (const auto& path : resolved.paths) {
    auto layer = MakeLayer(path, resolved.workspace, scratch, static_cast<int>(layers.size()));
    if (!layer) return std::unexpected(layer.error());
    published += layer->blob.size;
    if (auto s = CheckBytes(published, req.limits, "the layers to publish hold"); !s) {
      return std::unexpected(s.error());
    }
    layers.push_back(std::move(*layer));
  }
  auto log = LogBlob(req, scratch);
  if (!log) return std::unexpected(log.error());
  layers.push_back(BlobLayer(std::string(kLogLayerTitle), kLogLayerType, std::move(*log)));
  return layers;
}

OciManifest BuildManifest(const ArtifactRequest& req, const std::vector<ArtifactLayer>& layers) {
  OciManifest m{.artifact_type = std::string(kRaibidArtifactType)};
  for (const auto& l : layers) m.layers.push_back(l.descriptor);
  m.annotations[std::string(kCreatedAnnotation)] = NowRfc3339();
  if (!req.source_url.empty())
    m.annotations[std::string(kSourceAnnotation)] = WithoutUserInfo(req.source_url);
  if (!req.revision.empty()) m.annotations[std::string(kRevisionAnnotation)] = req.revision;
  if (!req.job_id.empty()) m.annotations[std::string(kJobIdAnnotation)] = req.job_id;
  return m;
}

Result<ImageReference> Reference(const RegistryClient& client, const ArtifactRequest& req) {
  auto ref = ExpandReference(req.reference_template, {.registry = client.host(),
                                                      .repository = req.repository,
                                                      .job_id = req.job_id,
                                                      .revision = req.revision,
                                                      .branch = req.branch});
  if (ref && ref->registry != client.host()) {
    return Fail(ErrorKind::kConfig, "artifact reference " + ref->ToString() +
                                        " names another registry than " + client.host());
  }
  return ref;
}

}  // namespace

Result<ArtifactPush> PushArtifacts(RegistryClient& client, const ArtifactRequest& req,
                                   LogSink& sink) {
  Progress progress(client, sink, req.log_step);
  auto resolved = ResolveArtifactPaths(req.workspace, req.paths);
  if (!resolved) return std::unexpected(resolved.error());
  if (auto s = CheckCount(*resolved, req.limits); !s) return std::unexpected(s.error());
  for (const auto& w : resolved->warnings) progress.Line(w);
  auto ref = Reference(client, req);
  if (!ref) return std::unexpected(ref.error());
  auto scratch = ScratchDir::Make(req.scratch_dir);
  if (!scratch) return std::unexpected(scratch.error());
  auto layers = MakeLayers(req, *resolved, *scratch);
  if (!layers) return std::unexpected(layers.error());

  const std::string& repo = ref->repository;
  auto config =
      client.PushBlob(repo, BlobSource::FromBytes(std::string(kEmptyJson)), req.mount_from);
  if (!config) return std::unexpected(config.error());
  ArtifactPush out{.reference = ref->ToString()};
  for (const auto& layer : *layers) {
    const std::string& title = layer.descriptor.annotations.at(std::string(kTitleAnnotation));
    auto pushed = client.PushBlob(repo, layer.blob, req.mount_from);
    if (!pushed) return std::unexpected(pushed.error());
    progress.Line(title + " (" + FormatBytes(layer.blob.size) + ", " + layer.blob.digest +
                  "): " + std::string(ToString(*pushed)));
    out.artifacts.push_back({title, out.reference, layer.blob.digest});
  }
  auto digest = client.PushManifest(repo, ref->tag, kOciManifestType,
                                    SerializeManifest(BuildManifest(req, *layers)));
  if (!digest) return std::unexpected(digest.error());
  out.manifest_digest = *digest;
  progress.Line("pushed " + out.reference + " (" + out.manifest_digest + ", " +
                std::to_string(layers->size()) + " layers)");
  return out;
}

}  // namespace raibid
