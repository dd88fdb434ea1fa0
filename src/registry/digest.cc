#include "registry/digest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <deque>
#include <thread>
#include <vector>

#include "util/mutex.h"
#include "util/openssl_api.h"
#include "util/unique_fd.h"

namespace raibid {

void Sha256::Free::operator()(evp_md_ctx_st* ctx) const { OpenSslOrDie().EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : ctx_(OpenSslOrDie().EVP_MD_CTX_new()) {
  // Only allocation can fail here; without a hasher nothing the module does is safe.
  if (!ctx_ ||
      OpenSslOrDie().EVP_DigestInit_ex(ctx_.get(), OpenSslOrDie().EVP_sha256(), nullptr) != 1) {
    std::abort();
  }
}

void Sha256::Update(std::string_view data) {
  OpenSslOrDie().EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
}

std::string Sha256::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  OpenSslOrDie().EVP_DigestFinal_ex(ctx_.get(), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

struct PipelinedSha256::State {
  Sha256 hash;  // the worker's until it is joined
  Mutex mu;
  CondVar changed;
  std::deque<std::string> full GUARDED_BY(mu);   // filled buffers waiting for the hasher, in order
  std::vector<std::string> free GUARDED_BY(mu);  // buffers the feeder may fill
  std::string filling;                           // the buffer being filled (the feeder's)
  bool done GUARDED_BY(mu) = false;
  std::thread worker;

  void Run() {
    MutexLock lock(&mu);
    while (true) {
      changed.Wait(&mu, [&]() REQUIRES(mu) { return !full.empty() || done; });
      if (full.empty()) return;
      std::string buf = std::move(full.front());
      full.pop_front();
      lock.Unlock();
      hash.Update(buf);
      buf.clear();
      lock.Lock();
      free.push_back(std::move(buf));
      changed.NotifyAll();
    }
  }
};

PipelinedSha256::PipelinedSha256() : state_(std::make_unique<State>()) {
  for (size_t i = 0; i + 1 < kBuffers; ++i) {
    state_->free.emplace_back().reserve(kBufferSize);
  }
  state_->filling.reserve(kBufferSize);
  state_->worker = std::thread([s = state_.get()] { s->Run(); });
}

PipelinedSha256::~PipelinedSha256() {
  if (!state_->worker.joinable()) return;
  {
    MutexLock lock(&state_->mu);
    state_->done = true;
  }
  state_->changed.NotifyAll();
  state_->worker.join();
}

void PipelinedSha256::Update(std::string_view data) {
  State& s = *state_;
  while (!data.empty()) {
    const size_t n = std::min(data.size(), kBufferSize - s.filling.size());
    s.filling.append(data.substr(0, n));
    data.remove_prefix(n);
    if (s.filling.size() == kBufferSize) Flush();
  }
}

// Hands the filled buffer to the hasher and takes a free one (waiting for it if need be).
void PipelinedSha256::Flush() {
  State& s = *state_;
  MutexLock lock(&s.mu);
  s.full.push_back(std::move(s.filling));
  s.changed.NotifyAll();
  s.changed.Wait(&s.mu, [&]() REQUIRES(s.mu) { return !s.free.empty(); });
  s.filling = std::move(s.free.back());
  s.free.pop_back();
}

std::string PipelinedSha256::Finish() {
  if (!state_->filling.empty()) Flush();
  {
    MutexLock lock(&state_->mu);
    state_->done = true;
  }
  state_->changed.NotifyAll();
  state_->worker.join();
  return state_->hash.Finish();
}

BlobDigest DigestOf(std::string_view bytes) {
  Sha256 h;
  h.Update(bytes);
  return {h.Finish(), bytes.size()};
}

Result<BlobDigest> DigestFile(const std::filesystem::path& file) {
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    return std::unexpected(ErrnoError(errno, "cannot open " + file.string()));
  }
  Sha256 h;
  std::vector<char> buf(1 << 20);
  uint64_t size = 0;
  while (true) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return std::unexpected(ErrnoError(errno, "cannot read " + file.string()));
    }
    if (n == 0) break;
    h.Update({buf.data(), static_cast<size_t>(n)});
    size += n;
  }
  return BlobDigest{h.Finish(), size};
}

bool IsSha256Digest(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.size() != kPrefix.size() + 64 || !digest.starts_with(kPrefix)) return false;
  for (char c : digest.substr(kPrefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace raibid
