#include "registry/blob_upload.h"

#include <fcntl.h>

#include <charconv>

#include "registry/digest.h"
#include "util/unique_fd.h"

namespace raibid {
namespace {

constexpr const char* kOctets = "Content-Type: application/octet-stream";

// One blob's upload; the pieces share the open file and the retry budget.
class Upload {
 public:
  Upload(RegistrySession& session, const std::string& repository, const BlobSource& blob, int fd)
      : s_(session),
        repo_(repository),
        blob_(blob),
        fd_(fd),
        scope_("repository:" + repository + ":pull,push"),
        backoff_(session.config().retry) {}

  Result<BlobOutcome> Run(const std::string& mount_from) {
    while (true) {
      bool mounted = false;
      auto url = Start(mount_from, &mounted);
      if (!url) return std::unexpected(url.error());
      if (mounted) return BlobOutcome::kMounted;
      const Status sent = blob_.size <= s_.config().chunk_size ? Whole(*url) : Chunks(*url);
      if (sent) return BlobOutcome::kUploaded;
      if (!sent.error().retryable) return std::unexpected(sent.error());
      if (!s_.WaitToRetry(backoff_, sent.error().message + "; starting the upload over")) {
        return std::unexpected(sent.error());
      }
    }
  }

 private:
  std::string What(std::string_view step) const {
    return std::string(step) + " of blob " + blob_.digest + " to " + repo_;
  }

  HttpBody Body(uint64_t offset, uint64_t length) const {
    if (fd_ < 0) return HttpBody{.bytes = std::string_view(blob_.bytes).substr(offset, length)};
    return HttpBody{.fd = fd_, .offset = offset, .length = length};
  }

  // POST: a new upload session's URL, or *mounted.
  Result<std::string> Start(const std::string& mount_from, bool* mounted) {
    std::string url = s_.Url("/v2/" + repo_ + "/blobs/uploads/");
    std::string scope = scope_;
    if (!mount_from.empty() && mount_from != repo_) {
      url = AppendQuery(AppendQuery(url, "mount", blob_.digest), "from", mount_from);
      scope += " repository:" + mount_from + ":pull";
    }
    auto r = s_.Send({.method = "POST", .url = url}, scope, What("upload start"));
    if (!r) return std::unexpected(r.error());
    *mounted = r->status == 201;
    if (*mounted) return std::string();
    const std::string location = r->header("location");
    if (r->status != 202 || location.empty()) {
      return std::unexpected(s_.StatusError(*r, What("upload start")));
    }
    return ResolveLocation(url, location);
  }

  Status Whole(const std::string& url) {
    HttpRequest put{.method = "PUT", .url = AppendQuery(url, "digest", blob_.digest)};
    put.headers.push_back(kOctets);
    put.body = Body(0, blob_.size);
    return Commit(put);
  }

  Status Commit(const HttpRequest& put) {
    auto r = s_.SendOnce(put, scope_);
    if (!r) return std::unexpected(r.error());
    if (r->status == 201 || r->status == 204) return {};
    return std::unexpected(s_.StatusError(*r, What("upload commit")));
  }

  Status Chunks(std::string url) {
    uint64_t offset = 0;
    while (offset < blob_.size) {
      const uint64_t n = std::min<uint64_t>(s_.config().chunk_size, blob_.size - offset);
      HttpRequest patch{.method = "PATCH", .url = url};
      patch.headers = {kOctets, "Content-Range: " + std::to_string(offset) + "-" +
                                    std::to_string(offset + n - 1)};
      patch.body = Body(offset, n);
      auto r = s_.SendOnce(patch, scope_);
      if (r && r->status == 202) {
        if (const auto loc = r->header("location"); !loc.empty()) url = ResolveLocation(url, loc);
        offset += n;
        continue;
      }
      if (r && !IsTransientStatus(r->status))
        return std::unexpected(s_.StatusError(*r, What("upload chunk")));
      if (!r && !r.error().retryable) return std::unexpected(r.error());
      const std::string failure =
          r ? s_.StatusError(*r, What("upload chunk")).message : r.error().message;
      if (!s_.WaitToRetry(backoff_, failure + "; asking the registry where to resume")) {
        return Fail(ErrorKind::kInfrastructure, failure, true);
      }
      if (auto s = Resume(&url, &offset); !s) return s;
    }
    HttpRequest put{.method = "PUT", .url = AppendQuery(url, "digest", blob_.digest)};
    return Commit(put);
  }

  // Asks the registry how much of the upload it holds. A lost session is a retryable failure:
  // Run starts the upload over.
  Status Resume(std::string* url, uint64_t* offset) {
    auto r = s_.SendOnce({.method = "GET", .url = *url}, scope_);
    if (!r) return std::unexpected(r.error());
    const auto next = NextOffsetFromRange(r->header("range"));
    if (r->status != 204 || !next || *next > blob_.size) {
      return Fail(ErrorKind::kInfrastructure,
                  s_.StatusError(*r, What("upload status")).message + ": the upload is lost", true);
    }
    if (const auto loc = r->header("location"); !loc.empty()) *url = ResolveLocation(*url, loc);
    *offset = *next;
    return {};
  }

  RegistrySession& s_;
  const std::string& repo_;
  const BlobSource& blob_;
  int fd_;
  std::string scope_;
  Backoff backoff_;
};

}  // namespace

BlobSource BlobSource::FromBytes(std::string bytes) {
  BlobDigest d = DigestOf(bytes);
  return BlobSource{.digest = std::move(d.digest), .size = d.size, .bytes = std::move(bytes)};
}

Result<BlobSource> BlobSource::FromFile(std::filesystem::path file) {
  auto d = DigestFile(file);
  if (!d) return std::unexpected(d.error());
  return BlobSource{.digest = std::move(d->digest), .size = d->size, .file = std::move(file)};
}

std::string_view ToString(BlobOutcome outcome) {
  switch (outcome) {
    case BlobOutcome::kExisted:
      return "existed";
    case BlobOutcome::kMounted:
      return "mounted";
    case BlobOutcome::kUploaded:
      return "uploaded";
  }
  return "uploaded";
}

std::optional<uint64_t> NextOffsetFromRange(std::string_view range) {
  if (range.starts_with("bytes=")) range.remove_prefix(6);
  const size_t dash = range.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view first = range.substr(0, dash), last = range.substr(dash + 1);
  uint64_t start = 0, end = 0;
  const auto a = std::from_chars(first.data(), first.data() + first.size(), start);
  const auto b = std::from_chars(last.data(), last.data() + last.size(), end);
  if (a.ec != std::errc() || b.ec != std::errc() || a.ptr != first.data() + first.size() ||
      b.ptr != last.data() + last.size() || start != 0 || end < start) {
    return std::nullopt;
  }
  return end == 0 ? 0 : end + 1;
}

Result<BlobOutcome> UploadBlob(RegistrySession& session, const std::string& repository,
                               const BlobSource& blob, const std::string& mount_from) {
  UniqueFd fd;
  if (!blob.file.empty()) {
    fd.reset(::open(blob.file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      return std::unexpected(ErrnoError(errno, "cannot open " + blob.file.string()));
    }
  }
  return Upload(session, repository, blob, fd.get()).Run(mount_from);
}

}  // namespace raibid
