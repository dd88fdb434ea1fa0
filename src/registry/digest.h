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

// A Sha256 fed from one thread and computed on another, so hashing a download overlaps with
// receiving it. Update copies into one of a few fixed buffers (memory stays constant: at most
// kBuffers x kBufferSize) and blocks while all are full. Not thread-safe for callers: one feeder.
class PipelinedSha256 {
 public:
  static constexpr size_t kBuffers = 4;
  static constexpr size_t kBufferSize = 1 << 20;

  PipelinedSha256();
  ~PipelinedSha256();  // joins the hashing thread
  PipelinedSha256(const PipelinedSha256&) = delete;
  PipelinedSha256& operator=(const PipelinedSha256&) = delete;

  void Update(std::string_view data);
  std::string Finish();  // waits for everything fed so far; call once

 private:
  struct State;
  void Flush();
  std::unique_ptr<State> state_;
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
