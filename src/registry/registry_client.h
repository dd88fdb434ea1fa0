// A client of one OCI registry (the distribution spec's HTTP API, over libcurl): blobs and
// manifests up and down, with authentication (Basic, or Bearer tokens fetched and renewed as
// they lapse), retries on network errors, 429 and 5xx, and constant memory whatever the size of
// a blob. The agent's artifacts and the shared cache tier both go through it.
//
// Thread-safety: none. Use one client per job (or per thread); creating one is cheap (no I/O
// until the first request). Every failure is kInfrastructure naming the registry and, when the
// registry answered, the HTTP status; `retryable` is set when the retries ran out on a transient
// failure. kCancelled when the hooks' stop source is stopped.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "registry/blob_upload.h"
#include "registry/registry_config.h"
#include "registry/registry_session.h"
#include "util/error.h"

namespace raibid {

struct FetchedManifest {
  std::string media_type;
  std::string digest;  // "sha256:..." of `bytes`
  std::string bytes;
};

class RegistryClient {
  struct Key {
    explicit Key() = default;
  };

 public:
  // Checks the configuration (kConfig): an http(s) URL without credentials or path, http only
  // when `insecure`.
  static Result<std::unique_ptr<RegistryClient>> Create(RegistryConfig config,
                                                        RegistryHooks hooks = {});

  // "gitea.example.com" or "127.0.0.1:5000": the registry part of references.
  const std::string& host() const { return session_.host(); }
  const RegistryConfig& config() const { return session_.config(); }
  // Replaces the hooks' notice (where retry notes go); returns the previous one.
  std::function<void(std::string_view)> ExchangeNotice(std::function<void(std::string_view)> f) {
    return session_.ExchangeNotice(std::move(f));
  }

  // GET /v2/: the registry answers and, when it asks for them, accepts the credentials.
  Status Ping();

  // Whether `repository` holds blob `digest` (HEAD).
  Result<bool> HasBlob(const std::string& repository, const std::string& digest);

  // Makes sure `repository` holds `blob`: HEAD first (kExisted, nothing sent), then a mount
  // from `mount_from` when given, else an upload (monolithic or chunked by size).
  Result<BlobOutcome> PushBlob(const std::string& repository, const BlobSource& blob,
                               const std::string& mount_from = "");

  // PUT of a manifest under `reference` (a tag) with its exact media type. Returns its digest;
  // fails when the registry stored it under a different one.
  Result<std::string> PushManifest(const std::string& repository, const std::string& reference,
                                   std::string_view media_type, const std::string& bytes);

  // GET of a manifest by tag or digest (OCI and Docker v2 media types accepted). The digest is
  // verified: against `reference` when it is one, else against the registry's
  // Docker-Content-Digest when sent.
  Result<FetchedManifest> FetchManifest(const std::string& repository,
                                        const std::string& reference);
  // The same, but a manifest the registry does not have (HTTP 404) is nullopt, not an error.
  Result<std::optional<FetchedManifest>> FindManifest(const std::string& repository,
                                                      const std::string& reference);

  // GET of a blob streamed into `destination` (created or replaced) while hashing it; on a
  // digest mismatch or any failure the file is removed. Restarted from the beginning on
  // transient failures.
  Status FetchBlob(const std::string& repository, const std::string& digest,
                   const std::filesystem::path& destination);

  // Use Create.
  RegistryClient(Key, RegistryConfig config, HttpUrl url, RegistryHooks hooks)
      : session_(std::move(config), std::move(url), std::move(hooks)) {}

 private:
  Status FetchBlobOnce(const std::string& repository, const std::string& digest,
                       const std::filesystem::path& destination);

  RegistrySession session_;
};

}  // namespace raibid
