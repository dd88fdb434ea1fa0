// Uploading one blob the ways the distribution spec allows, for blobs the registry lacks:
// - a cross-repository mount (POST ?mount=&from=) when the caller knows another repository of
//   the same registry that may hold it; a registry that cannot mount starts an upload instead;
// - small blobs (<= chunk_size): POST, then one PUT of the whole body to the Location with
//   `digest=` appended (the Location may be relative and may already carry a query);
// - larger blobs: PATCH requests of chunk_size with Content-Range, then an empty PUT. After a
//   failed chunk the registry's own account (GET on the upload URL, its Range) says where to
//   resume; when the upload session is gone, the upload starts over.
// Bodies stream from the file with pread: memory stays constant whatever the blob's size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "registry/registry_session.h"
#include "util/error.h"

namespace raibid {

// The bytes of one blob and their digest: a file streamed from disk, or a small blob in memory
// (the empty config, a log held as text).
struct BlobSource {
  std::string digest;  // "sha256:<hex>"
  uint64_t size = 0;
  std::filesystem::path file;  // when set, the bytes are this file's
  std::string bytes;           // else these

  static BlobSource FromBytes(std::string bytes);
  // Reads the file once to digest it (kInfrastructure when it cannot be read).
  static Result<BlobSource> FromFile(std::filesystem::path file);
};

enum class BlobOutcome { kExisted, kMounted, kUploaded };

std::string_view ToString(BlobOutcome outcome);  // "existed", "mounted", "uploaded"

// Uploads `blob` into `repository` ("owner/name"); `mount_from` ("" for none) is tried first.
// Returns kMounted or kUploaded. Failures are kInfrastructure naming the registry and status,
// retryable when the retries ran out on network errors, 429 or 5xx.
Result<BlobOutcome> UploadBlob(RegistrySession& session, const std::string& repository,
                               const BlobSource& blob, const std::string& mount_from = "");

// The first byte the registry does not have, from a Range header ("0-999" or "bytes=0-999":
// 1000). Distribution answers "0-0" for an empty upload, so "0-0" reads as 0. nullopt when
// absent or malformed.
std::optional<uint64_t> NextOffsetFromRange(std::string_view range);

}  // namespace raibid
