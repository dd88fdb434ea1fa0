#include "registry/registry_client.h"

#include <fcntl.h>
#include <unistd.h>

#include "registry/digest.h"
#include "registry/oci_manifest.h"
#include "registry/oci_reference.h"
#include "util/unique_fd.h"

namespace raibid {
namespace {

constexpr const char* kManifestAccept =
    "Accept: application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

std::string PullScope(const std::string& repo) { return "repository:" + repo + ":pull"; }
std::string PushScope(const std::string& repo) { return "repository:" + repo + ":pull,push"; }

// Names go into URL paths: refuse anything the grammar does not allow before building one.
Status CheckNames(const std::string& repository, std::string_view digest_or_tag) {
  if (!IsValidRepository(repository)) {
    return Fail(ErrorKind::kInvalidJob, "'" + repository + "' is not a valid repository name");
  }
  if (!IsSha256Digest(digest_or_tag) && !IsValidTag(digest_or_tag)) {
    return Fail(ErrorKind::kInvalidJob,
                "'" + std::string(digest_or_tag) + "' is not a tag or sha256 digest");
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<RegistryClient>> RegistryClient::Create(RegistryConfig config,
                                                               RegistryHooks hooks) {
  auto url = ParseHttpUrl(config.url);
  if (!url) return Fail(ErrorKind::kConfig, "registry.url: " + url.error().message);
  if (!url->path.empty()) {
    return Fail(ErrorKind::kConfig, "registry.url '" + config.url + "' must not have a path");
  }
  if (url->scheme == "http" && !config.insecure) {
    return Fail(ErrorKind::kConfig, "registry.url '" + config.url +
                                        "' is plain http; set registry.insecure to allow it");
  }
  if (config.chunk_size == 0) return Fail(ErrorKind::kConfig, "registry chunk size must be > 0");
  return std::make_unique<RegistryClient>(Key{}, std::move(config), std::move(*url),
                                          std::move(hooks));
}

Status RegistryClient::Ping() {
  auto r = session_.Send({.method = "GET", .url = session_.Url("/v2/")}, "", "GET /v2/");
  if (!r) return std::unexpected(r.error());
  if (r->status != 200) return std::unexpected(session_.StatusError(*r, "GET /v2/"));
  return {};
}

Result<bool> RegistryClient::HasBlob(const std::string& repository, const std::string& digest) {
  if (!IsSha256Digest(digest)) {
    return Fail(ErrorKind::kInvalidJob, "'" + digest + "' is not a sha256 digest");
  }
  if (auto s = CheckNames(repository, digest); !s) return std::unexpected(s.error());
  const std::string what = "HEAD blob " + digest + " in " + repository;
  auto r = session_.Send({.method = "HEAD",
                          .url = session_.Url("/v2/" + repository + "/blobs/" + digest),
                          .follow_redirects = true},
                         PushScope(repository), what);
  if (!r) return std::unexpected(r.error());
  if (r->status == 200) return true;
  if (r->status == 404) return false;
  return std::unexpected(session_.StatusError(*r, what));
}

Result<BlobOutcome> RegistryClient::PushBlob(const std::string& repository, const BlobSource& blob,
                                             const std::string& mount_from) {
  auto has = HasBlob(repository, blob.digest);
  if (!has) return std::unexpected(has.error());
  if (*has) return BlobOutcome::kExisted;
  if (!mount_from.empty() && !IsValidRepository(mount_from)) {
    return Fail(ErrorKind::kInvalidJob, "'" + mount_from + "' is not a valid repository name");
  }
  return UploadBlob(session_, repository, blob, mount_from);
}

Result<std::string> RegistryClient::PushManifest(const std::string& repository,
                                                 const std::string& reference,
                                                 std::string_view media_type,
                                                 const std::string& bytes) {
  if (auto s = CheckNames(repository, reference); !s) return std::unexpected(s.error());
  std::string digest = DigestOf(bytes).digest;
  const std::string what = "PUT manifest " + repository + ":" + reference;
  HttpRequest put{.method = "PUT",
                  .url = session_.Url("/v2/" + repository + "/manifests/" + reference)};
  put.headers.push_back("Content-Type: " + std::string(media_type));
  put.body = HttpBody{.bytes = bytes};
  auto r = session_.Send(put, PushScope(repository), what);
  if (!r) return std::unexpected(r.error());
  if (r->status != 201 && r->status != 200) return std::unexpected(session_.StatusError(*r, what));
  const std::string stored = r->header("docker-content-digest");
  if (!stored.empty() && stored != digest) {
    return Fail(ErrorKind::kInfrastructure, "registry " + host() + ": " + what + ": stored as " +
                                                stored + ", expected " + digest);
  }
  return digest;
}

Result<FetchedManifest> RegistryClient::FetchManifest(const std::string& repository,
                                                      const std::string& reference) {
  auto found = FindManifest(repository, reference);
  if (!found) return std::unexpected(found.error());
  std::optional<FetchedManifest>& manifest = *found;
  if (!manifest) {
    return Fail(ErrorKind::kInfrastructure, "registry " + host() + ": GET manifest " + repository +
                                                ":" + reference + ": HTTP 404 (no such manifest)");
  }
  return std::move(*manifest);
}

Result<std::optional<FetchedManifest>> RegistryClient::FindManifest(const std::string& repository,
                                                                    const std::string& reference) {
  if (auto s = CheckNames(repository, reference); !s) return std::unexpected(s.error());
  const std::string what = "GET manifest " + repository + ":" + reference;
  HttpRequest get{.method = "GET",
                  .url = session_.Url("/v2/" + repository + "/manifests/" + reference)};
  get.headers.push_back(kManifestAccept);
  auto r = session_.Send(get, PullScope(repository), what);
  if (!r) return std::unexpected(r.error());
  if (r->status == 404) return std::optional<FetchedManifest>{};
  if (r->status != 200) return std::unexpected(session_.StatusError(*r, what));
  if (r->body_truncated) {
    return std::unexpected(
        BodyLimitError("registry " + host() + ": " + what, session_.config().body_limit));
  }
  FetchedManifest m{.media_type = r->header("content-type"),
                    .digest = DigestOf(r->body).digest,
                    .bytes = std::move(r->body)};
  const std::string expected =
      IsSha256Digest(reference) ? reference : r->header("docker-content-digest");
  if (!expected.empty() && expected != m.digest) {
    return Fail(ErrorKind::kInfrastructure, "registry " + host() + ": " + what + ": content is " +
                                                m.digest + ", expected " + expected);
  }
  return m;
}

Status RegistryClient::FetchBlob(const std::string& repository, const std::string& digest,
                                 const std::filesystem::path& destination) {
  if (!IsSha256Digest(digest)) {
    return Fail(ErrorKind::kInvalidJob, "'" + digest + "' is not a sha256 digest");
  }
  if (auto s = CheckNames(repository, digest); !s) return s;
  Backoff backoff(session_.config().retry);
  while (true) {
    Status s = FetchBlobOnce(repository, digest, destination);
    if (s) return s;
    std::error_code ec;
    std::filesystem::remove(destination, ec);
    if (!s.error().retryable || !session_.WaitToRetry(backoff, s.error().message)) return s;
  }
}

Status RegistryClient::FetchBlobOnce(const std::string& repository, const std::string& digest,
                                     const std::filesystem::path& destination) {
  UniqueFd fd(::open(destination.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    return std::unexpected(ErrnoError(errno, "cannot write " + destination.string()));
  }
  PipelinedSha256 hash;  // hashing overlaps with receiving
  int write_errno = 0;
  HttpRequest get{.method = "GET",
                  .url = session_.Url("/v2/" + repository + "/blobs/" + digest),
                  .follow_redirects = true};
  get.sink = [&](std::string_view piece) {
    hash.Update(piece);
    while (!piece.empty()) {
      const ssize_t n = ::write(fd.get(), piece.data(), piece.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        write_errno = errno;
        return false;
      }
      piece.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  };
  const std::string what = "GET blob " + digest + " from " + repository;
  auto r = session_.SendOnce(get, PullScope(repository));
  if (write_errno != 0) {
    return std::unexpected(ErrnoError(write_errno, "cannot write " + destination.string()));
  }
  if (!r) return std::unexpected(r.error());
  if (r->status != 200) return std::unexpected(session_.StatusError(*r, what));
  if (const std::string got = hash.Finish(); got != digest) {
    return Fail(ErrorKind::kInfrastructure,
                "registry " + host() + ": " + what + ": content is " + got);
  }
  return {};
}

}  // namespace raibid
