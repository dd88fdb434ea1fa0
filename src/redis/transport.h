// The byte stream under a Redis connection: a plain TCP or unix socket, or TLS over TCP
// (redis/tls_transport.h). The connection (redis/redis.h) formats commands and parses replies
// with hiredis' formatter and reader on top of it, so both transports carry the same protocol
// code. Not thread-safe, except Interrupt.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "redis/endpoint.h"
#include "util/error.h"
#include "util/unique_fd.h"

namespace raibid {

class RedisTransport {
 public:
  virtual ~RedisTransport() = default;
  RedisTransport(const RedisTransport&) = delete;
  RedisTransport& operator=(const RedisTransport&) = delete;

  // Reads at least one byte (up to `len`), waiting up to the timeout. The server closing the
  // stream, a timeout and every other failure are Errors whose message says which; after one the
  // transport is unusable.
  virtual Result<size_t> Read(char* buf, size_t len) = 0;
  // Writes all of `data`, each wait for the socket bounded by the timeout.
  virtual Status Write(std::string_view data) = 0;

  // How long one Read or one wait inside Write may block; 0: forever (until Interrupt).
  void SetTimeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  // Shuts the socket down, so a blocked Read on another thread returns an error. Thread-safe.
  void Interrupt();

 protected:
  RedisTransport(UniqueFd fd, std::chrono::milliseconds timeout)
      : fd_(std::move(fd)), timeout_(timeout) {}
  // Waits until the socket is ready for `events` (POLLIN, POLLOUT), up to the timeout.
  Status Wait(short events) const;
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  std::chrono::milliseconds timeout_;
};

// Connects to `endpoint` (TCP or unix socket; TLS with its handshake when endpoint.tls.enabled),
// with `timeout` for connecting and as the I/O timeout. Failures are kInfrastructure errors
// naming the address, retryable except a TLS setup the configuration got wrong (an unreadable
// CA or key file).
Result<std::unique_ptr<RedisTransport>> OpenRedisTransport(const RedisEndpoint& endpoint,
                                                           std::chrono::milliseconds timeout);

}  // namespace raibid
