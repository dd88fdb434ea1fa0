// The shared cache tier in the OCI registry: a local miss looks there, a save also goes there,
// so agents on different nodes warm each other with no other storage service. An entry of
// scope S and name N is the artifact `raibid-cache/<hash(S)>:<hash(N)>` (artifactType
// application/vnd.raibid.cache.v1, the empty config, one layer: the zstd tar entry). Exact keys
// only: fallbacks ("newest of the branch") stay local. One per job (the client is not
// thread-safe).
#pragma once

#include <filesystem>

#include "cache/cache_store.h"
#include "registry/registry_client.h"

namespace raibid {

class RemoteCacheTier {
 public:
  explicit RemoteCacheTier(RegistryClient& client) : client_(client) {}

  // Downloads the entry for `key` to `dest` (by a temporary name and a rename). False when the
  // registry has no entry for the key; an error for registry trouble, which the caller logs, and
  // for an entry whose manifest gives it more than limits.cache_archive_bytes (not downloaded).
  Result<bool> Fetch(const CacheKey& key, const std::filesystem::path& dest,
                     const InputLimits& limits = {});
  // Uploads the local entry file for `key`.
  Status Push(const CacheKey& key, const std::filesystem::path& entry);

  static std::string Repository(const CacheKey& key);
  static std::string Tag(const CacheKey& key);

 private:
  RegistryClient& client_;
};

}  // namespace raibid
