// `buildah` for tests and benchmarks, as a step building images would run it: image storage of
// its own (vfs, under a temp directory, so a new ImageBuilder is a machine that never built
// anything), a containers.conf with runc and ulimits within this sandbox's limits, and the test's
// registries reachable over plain HTTP. Builds use chroot isolation (no runtime needed).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace raibid::testing {

class ImageBuilder {
 public:
  // `insecure_registries`: host:port of registries reached over plain HTTP.
  explicit ImageBuilder(std::vector<std::string> insecure_registries);
  ImageBuilder(const ImageBuilder&) = delete;
  ImageBuilder& operator=(const ImageBuilder&) = delete;

  // Runs `buildah` with this storage: {"images"}. Returns stdout and stderr together (buildah
  // reports cache hits on either). Throws std::runtime_error with that output on failure.
  std::string Buildah(const std::vector<std::string>& args) const;

  // Builds `context` (a directory with a Containerfile) as `tag` with the layer cache in the
  // registry repository `cache_repo` (--layers --cache-from/--cache-to), the documented recipe.
  std::string BuildWithRegistryCache(const std::filesystem::path& context, const std::string& tag,
                                     const std::string& cache_repo) const;

  // Commits a busybox root filesystem (/bin/sh and the applets) as `reference` and pushes it.
  void PushBusyboxBase(const std::string& reference) const;

  // The uncompressed layer digests (DiffIDs) of a local image, in order.
  std::vector<std::string> DiffIds(const std::string& image) const;

  // The environment buildah and podman need for this configuration, as "K=V".
  std::vector<std::string> Env() const;

 private:
  TempDir dir_{"raibid-buildah"};
};

// Whether buildah, runc and busybox are installed here (tests skip otherwise).
bool BuildahAvailable();

// How many times `needle` occurs in `text`.
int CountOccurrences(const std::string& text, const std::string& needle);

}  // namespace raibid::testing
