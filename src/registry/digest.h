// Content digests in the OCI form "sha256:<64 lower-case hex>", computed while streaming: the
// data passes through in bounded pieces, never whole, so a 2 GiB blob costs a 1 MiB buffer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "util/error.h"

struct evp_md_ctx_st;

namespace raibid {

// An incremental SHA-256 (OpenSSL's libcrypto). Not thread-safe; one per stream.
class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  // "sha256:<hex>" of everything given to Update. Call once; the hasher is spent afterwards.
  std::string Finish();

 private:
  struct Free {
    void operator()(evp_md_ctx_st* ctx) const;
  };
  std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

struct BlobDigest {
  std::string digest;  // "sha256:<hex>"
  uint64_t size = 0;
};

BlobDigest DigestOf(std::string_view bytes);

// Reads `file` once in 1 MiB pieces. kInfrastructure when it cannot be read.
Result<BlobDigest> DigestFile(const std::filesystem::path& file);

// Whether `digest` is "sha256:" followed by 64 lower-case hex digits (the only algorithm the
// agent writes; anything else from a registry is refused rather than trusted).
bool IsSha256Digest(std::string_view digest);

}  // namespace raibid
