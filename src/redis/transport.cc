#include "redis/transport.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include "redis/tls_transport.h"

namespace raibid {
namespace {

Error IoFailure(std::string message) {
  return Error{ErrorKind::kInfrastructure, std::move(message), true};
}

// A TCP or unix socket as it is. Reads and writes try the socket first and poll only when it
// would block, so a reply already waiting costs one system call.
class SocketTransport final : public RedisTransport {
 public:
  SocketTransport(UniqueFd fd, std::chrono::milliseconds timeout)
      : RedisTransport(std::move(fd), timeout) {}

  Result<size_t> Read(char* buf, size_t len) override {
    while (true) {
      const ssize_t n = ::recv(fd(), buf, len, 0);
      if (n > 0) return static_cast<size_t>(n);
      if (n == 0) return std::unexpected(IoFailure("the server closed the connection"));
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        return std::unexpected(ErrnoError(errno, "read", ErrorKind::kInfrastructure, true));
      if (auto s = Wait(POLLIN); !s) return std::unexpected(s.error());
    }
  }

  Status Write(std::string_view data) override {
    while (!data.empty()) {
      // MSG_NOSIGNAL: a server gone away is an error here, not a SIGPIPE for the process.
      const ssize_t n = ::send(fd(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n >= 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        return std::unexpected(ErrnoError(errno, "write", ErrorKind::kInfrastructure, true));
      if (auto s = Wait(POLLOUT); !s) return s;
    }
    return {};
  }
};

timeval ToTimeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

// hiredis connects (name resolution, the connect timeout, TCP_NODELAY) and hands the socket
// over; from then on the transport owns it, non-blocking.
Result<UniqueFd> ConnectSocket(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout) {
  const timeval tv = ToTimeval(timeout);
  redisContext* c = endpoint.unix_socket.empty()
                        ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv)
                        : redisConnectUnixWithTimeout(endpoint.unix_socket.c_str(), tv);
  if (c == nullptr) return Fail(ErrorKind::kInfrastructure, "redis: out of memory", true);
  if (c->err) {
    std::string reason = c->errstr;
    redisFree(c);
    return Fail(ErrorKind::kInfrastructure,
                "cannot connect to redis at " + Describe(endpoint) + ": " + reason, true);
  }
  UniqueFd fd(redisFreeKeepFd(c));
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
    return std::unexpected(ErrnoError(errno, "redis socket"));
  }
  return fd;
}

}  // namespace

void RedisTransport::Interrupt() {
  if (fd_.valid()) ::shutdown(fd_.get(), SHUT_RDWR);
}

Status RedisTransport::Wait(short events) const {
  pollfd p{.fd = fd_.get(), .events = events, .revents = 0};
  const int ms = timeout_.count() > 0 ? static_cast<int>(timeout_.count()) : -1;
  while (true) {
    const int n = ::poll(&p, 1, ms);
    if (n > 0) return {};  // readable, writable, or an error the next call reports
    if (n == 0) return std::unexpected(IoFailure("timed out"));
    if (errno != EINTR) return std::unexpected(ErrnoError(errno, "poll"));
  }
}

Result<std::unique_ptr<RedisTransport>> OpenRedisTransport(const RedisEndpoint& endpoint,
                                                           std::chrono::milliseconds timeout) {
  auto fd = ConnectSocket(endpoint, timeout);
  if (!fd) return std::unexpected(fd.error());
  if (endpoint.tls.enabled) return OpenTlsTransport(std::move(*fd), endpoint, timeout);
  return std::unique_ptr<RedisTransport>(new SocketTransport(std::move(*fd), timeout));
}

}  // namespace raibid
