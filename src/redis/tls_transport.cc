#include "redis/tls_transport.h"

#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <filesystem>
#include <map>

#include "util/mutex.h"
#include "util/openssl_api.h"

namespace raibid {
namespace {

// OpenSSL's table. Loaded by OpenTlsTransport before anything else here runs (every other
// function of this file is reached through it, or called back by OpenSSL).
const OpenSslApi& Ssl() { return OpenSslOrDie(); }

struct FreeContext {
  void operator()(SSL_CTX* ctx) const { Ssl().SSL_CTX_free(ctx); }
};
struct FreeSsl {
  void operator()(SSL* ssl) const { Ssl().SSL_free(ssl); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, FreeContext>;
using SslPtr = std::unique_ptr<SSL, FreeSsl>;

// The first error OpenSSL queued on this thread, in words; the queue is left empty.
std::string OpenSslReason() {
  const unsigned long e = Ssl().ERR_get_error();
  Ssl().ERR_clear_error();
  if (e == 0) return "unknown TLS error";
  if (const char* reason = Ssl().ERR_reason_error_string(e)) return reason;
  char buf[256];
  Ssl().ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// OpenSSL writes to the socket with write(2), which raises SIGPIPE when the server has gone.
// While one of its calls runs SIGPIPE is blocked on this thread, and one raised meanwhile is
// taken off the pending set, so the failure comes back as an error value (as libpq does it).
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pending;
    if (!was_pending_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
      const timespec now{};
      (void)sigtimedwait(&pipe_, nullptr, &now);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
};

bool IsIpAddress(const std::string& name) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

// What a verification failure means to an operator, beside OpenSSL's own words.
std::string_view VerifyKind(long result) {
  switch (result) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return "unknown CA";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "name mismatch";
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "not yet valid";
    default:
      return "rejected";
  }
}

Error ConfigError(const std::string& what) {
  return Error{ErrorKind::kConfig, "redis TLS: " + what + ": " + OpenSslReason(), false};
}

// An SSL_CTX: the CAs to trust and the client certificate, from the files the settings name.
Result<SslCtxPtr> MakeContext(const RedisTls& tls) {
  SslCtxPtr ctx(Ssl().SSL_CTX_new(Ssl().TLS_client_method()));
  if (!ctx) return std::unexpected(ConfigError("cannot make a TLS context"));
  Ssl().SSL_CTX_ctrl(ctx.get(), SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, nullptr);
  Ssl().SSL_CTX_ctrl(ctx.get(), SSL_CTRL_MODE,
                     SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER, nullptr);
  if (!tls.insecure_skip_verify) {
    const int loaded = tls.ca_file.empty() ? Ssl().SSL_CTX_set_default_verify_paths(ctx.get())
                                           : Ssl().SSL_CTX_load_verify_locations(
                                                 ctx.get(), tls.ca_file.c_str(), nullptr);
    if (loaded != 1)
      return std::unexpected(ConfigError("cannot load CA file '" + tls.ca_file + "'"));
  }
  Ssl().SSL_CTX_set_verify(ctx.get(), tls.insecure_skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER,
                           nullptr);
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return Fail(ErrorKind::kConfig, "redis TLS: cert_file and key_file go together");
  }
  if (!tls.cert_file.empty()) {
    if (Ssl().SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1) {
      return std::unexpected(ConfigError("cannot load certificate '" + tls.cert_file + "'"));
    }
    if (Ssl().SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        Ssl().SSL_CTX_check_private_key(ctx.get()) != 1) {
      return std::unexpected(ConfigError("cannot use key '" + tls.key_file + "'"));
    }
  }
  return ctx;
}

// The contexts and TLS sessions every connection of the process shares. Making a context per
// connection read the CA file (or the system's hundreds of certificates) each time, and a full
// handshake makes the server sign; with the context kept and the server's session ticket kept,
// a new connection (each job opens one for its log) resumes instead. A context is made anew
// when one of its files changes, so a renewed certificate is picked up; a resumed session was
// verified when it was first made.
std::atomic<uint64_t> g_resumed{0};

class TlsCache {
 public:
  static TlsCache& Get() {
    static TlsCache* cache = new TlsCache;  // never destroyed: connections may outlive main
    return *cache;
  }

  // The context for `tls` and the key naming it (its settings and its files' times).
  Result<std::pair<std::shared_ptr<SSL_CTX>, std::string>> Context(const RedisTls& tls) {
    const std::string key = ContextKey(tls);
    MutexLock lock(&mu_);
    if (auto it = contexts_.find(key); it != contexts_.end()) return std::pair{it->second, key};
    auto made = MakeContext(tls);
    if (!made) return std::unexpected(made.error());
    Ssl().SSL_CTX_ctrl(made->get(), SSL_CTRL_SET_SESS_CACHE_MODE,
                       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE, nullptr);
    Ssl().SSL_CTX_sess_set_new_cb(made->get(), &TlsCache::NewSession);
    std::shared_ptr<SSL_CTX> ctx(made->release(), FreeContext());
    contexts_[key] = ctx;
    return std::pair{ctx, key};
  }

  // Offers the session last kept for `peer` to `ssl`.
  void Resume(SSL* ssl, const std::string* peer) {
    Ssl().SSL_set_ex_data(ssl, PeerIndex(), const_cast<std::string*>(peer));
    MutexLock lock(&mu_);
    auto it = sessions_.find(*peer);
    if (it == sessions_.end()) return;
    // A copy per connection: OpenSSL changes a connection's session (TLS 1.3 tickets) without a
    // lock, so one SSL_SESSION set on two connections at once is a data race.
    SSL_SESSION* copy = Ssl().SSL_SESSION_dup(it->second);
    if (copy == nullptr) return;
    Ssl().SSL_set_session(ssl, copy);
    Ssl().SSL_SESSION_free(copy);  // the connection holds its own reference
  }

 private:
  static int PeerIndex() {
    static const int index =
        Ssl().CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, nullptr, nullptr, nullptr, nullptr);
    return index;
  }
  // OpenSSL hands over each session (ticket) the server issues; the newest per peer is kept.
  static int NewSession(SSL* ssl, SSL_SESSION* session) {
    const auto* peer = static_cast<const std::string*>(Ssl().SSL_get_ex_data(ssl, PeerIndex()));
    if (peer == nullptr) return 0;
    TlsCache& cache = Get();
    MutexLock lock(&cache.mu_);
    // The cache keeps a copy, never the connection's own session, which OpenSSL may still change.
    SSL_SESSION* copy = Ssl().SSL_SESSION_dup(session);
    if (copy == nullptr) return 0;
    SSL_SESSION*& slot = cache.sessions_[*peer];
    if (slot != nullptr) Ssl().SSL_SESSION_free(slot);
    slot = copy;
    return 0;  // OpenSSL keeps (and frees) the original
  }
  static std::string FileStamp(const std::string& file) {
    if (file.empty()) return "-";
    std::error_code ec;
    const auto t = std::filesystem::last_write_time(file, ec);
    return file + "@" + std::to_string(ec ? 0 : t.time_since_epoch().count());
  }
  static std::string ContextKey(const RedisTls& tls) {
    return FileStamp(tls.ca_file) + "|" + FileStamp(tls.cert_file) + "|" + FileStamp(tls.key_file) +
           "|" + (tls.insecure_skip_verify ? "insecure" : "verify");
  }

  Mutex mu_;
  std::map<std::string, std::shared_ptr<SSL_CTX>> contexts_ GUARDED_BY(mu_);
  std::map<std::string, SSL_SESSION*> sessions_ GUARDED_BY(mu_);
};

// The name the certificate must carry (and SNI, for a DNS name).
Status ExpectName(SSL* ssl, const std::string& name) {
  const bool ip = IsIpAddress(name);
  const int ok = ip ? Ssl().X509_VERIFY_PARAM_set1_ip_asc(Ssl().SSL_get0_param(ssl), name.c_str())
                    : Ssl().SSL_set1_host(ssl, name.c_str());
  if (ok != 1 ||
      (!ip && Ssl().SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                             const_cast<char*>(name.c_str())) != 1)) {
    return std::unexpected(ConfigError("cannot use server name '" + name + "'"));
  }
  return {};
}

class TlsTransport final : public RedisTransport {
 public:
  TlsTransport(UniqueFd fd, SslPtr ssl, std::chrono::milliseconds timeout, std::string peer)
      : RedisTransport(std::move(fd), timeout), ssl_(std::move(ssl)), peer_(std::move(peer)) {
    TlsCache::Get().Resume(ssl_.get(), &peer_);
  }

  // After Handshake: whether the server took the offered session.
  bool Resumed() const { return Ssl().SSL_session_reused(ssl_.get()) == 1; }

  Status Handshake() {
    SigpipeBlock quiet;
    while (true) {
      Ssl().ERR_clear_error();
      const int r = Ssl().SSL_connect(ssl_.get());
      if (r == 1) return {};
      const int err = Ssl().SSL_get_error(ssl_.get(), r);
      const long verify = Ssl().SSL_get_verify_result(ssl_.get());
      if (verify != X509_V_OK) {
        Ssl().ERR_clear_error();
        return Fail(ErrorKind::kInfrastructure,
                    "TLS handshake failed: certificate verify failed (" +
                        std::string(VerifyKind(verify)) +
                        "): " + Ssl().X509_verify_cert_error_string(verify));
      }
      if (auto s = AwaitOrFail(err); !s) {
        Error e = s.error();
        if (e.message == "timed out" ||
            e.message.find("wrong version number") != std::string::npos) {
          e.message += " (does the server speak TLS on this port?)";
        }
        e.message = "TLS handshake failed: " + e.message;
        return std::unexpected(e);
      }
    }
  }

  Result<size_t> Read(char* buf, size_t len) override {
    // SSL_read first: it returns bytes OpenSSL already decrypted (SSL_pending) without touching
    // the socket, so the poll in AwaitOrFail only runs when nothing is buffered. It may write
    // too (an alert on a connection that broke, an answer to a key update): SIGPIPE blocked.
    SigpipeBlock quiet;
    while (true) {
      Ssl().ERR_clear_error();
      const int n =
          Ssl().SSL_read(ssl_.get(), buf, static_cast<int>(std::min<size_t>(len, INT_MAX)));
      if (n > 0) return static_cast<size_t>(n);
      if (auto s = AwaitOrFail(Ssl().SSL_get_error(ssl_.get(), n)); !s) {
        return std::unexpected(s.error());
      }
    }
  }

  Status Write(std::string_view data) override {
    SigpipeBlock quiet;
    while (!data.empty()) {
      Ssl().ERR_clear_error();
      const int n = Ssl().SSL_write(ssl_.get(), data.data(),
                                    static_cast<int>(std::min<size_t>(data.size(), INT_MAX)));
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (auto s = AwaitOrFail(Ssl().SSL_get_error(ssl_.get(), n)); !s) return s;
    }
    return {};
  }

 private:
  // After an SSL call that did not complete: waits for the socket when OpenSSL asks to, or
  // says why the connection failed.
  Status AwaitOrFail(int ssl_error) {
    const int saved_errno = errno;
    switch (ssl_error) {
      case SSL_ERROR_WANT_READ:
        return Wait(POLLIN);
      case SSL_ERROR_WANT_WRITE:
        return Wait(POLLOUT);
      case SSL_ERROR_ZERO_RETURN:
        return Fail(ErrorKind::kInfrastructure, "the server closed the connection", true);
      case SSL_ERROR_SYSCALL:
        if (Ssl().ERR_peek_error() == 0) {
          if (saved_errno == 0 || saved_errno == EPIPE) {
            return Fail(ErrorKind::kInfrastructure, "the server closed the connection", true);
          }
          return std::unexpected(
              ErrnoError(saved_errno, "tls socket", ErrorKind::kInfrastructure, true));
        }
        [[fallthrough]];
      default:
        return Fail(ErrorKind::kInfrastructure, OpenSslReason(), true);
    }
  }

  SslPtr ssl_;
  const std::string peer_;  // the session cache's key: context, address and expected name
};

}  // namespace

Result<std::unique_ptr<RedisTransport>> OpenTlsTransport(UniqueFd fd, const RedisEndpoint& endpoint,
                                                         std::chrono::milliseconds timeout) {
  if (auto api = OpenSsl(); !api) {
    Error e = api.error();
    e.message = "cannot connect to redis at " + Describe(endpoint) + ": " + e.message;
    return std::unexpected(e);
  }
  const RedisTls& tls = endpoint.tls;
  auto ctx = TlsCache::Get().Context(tls);
  if (!ctx) return std::unexpected(ctx.error());
  SslPtr ssl(Ssl().SSL_new(ctx->first.get()));  // holds its own reference to the context
  if (!ssl || Ssl().SSL_set_fd(ssl.get(), fd.get()) != 1) {
    return std::unexpected(ConfigError("cannot set up TLS"));
  }
  if (auto s = ExpectName(ssl.get(), tls.server_name.empty() ? endpoint.host : tls.server_name);
      !s) {
    return std::unexpected(s.error());
  }
  const std::string name = tls.server_name.empty() ? endpoint.host : tls.server_name;
  auto transport = std::make_unique<TlsTransport>(
      std::move(fd), std::move(ssl), timeout, ctx->second + "|" + Describe(endpoint) + "|" + name);
  if (auto s = transport->Handshake(); !s) {
    Error e = s.error();
    e.message = "cannot connect to redis at " + Describe(endpoint) + ": " + e.message;
    return std::unexpected(e);
  }
  if (transport->Resumed()) ++g_resumed;
  return std::unique_ptr<RedisTransport>(std::move(transport));
}

uint64_t TlsResumedHandshakes() { return g_resumed.load(); }

}  // namespace raibid
