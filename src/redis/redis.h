// A synchronous Redis connection. Not thread-safe: one connection per thread that talks to Redis
// (Interrupt excepted). Every command goes through the argv form, so values are binary-safe and
// never parsed. Replies come back as RedisValue (redis/value.h); the client library (hiredis: its
// command formatter and reply reader) stays inside redis/.
//
// Connect is the one place that turns an endpoint into a transport (redis/transport.h): a plain
// socket, or TLS for rediss:// (handshake after the TCP connection, before AUTH). Everything
// here, blocking reads with timeouts included, works the same over both. With Sentinel it first
// asks the sentinels for the master's address (again on each Reconnect) and checks ROLE after
// logging in; a READONLY answer (a master demoted by a failover) breaks the connection like an
// I/O error, so every caller's reconnect path follows the failover. Callers keep using Connect,
// Command and Pipeline as they are.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "redis/endpoint.h"
#include "redis/value.h"
#include "util/backoff.h"
#include "util/error.h"

namespace raibid {

using RedisArgs = std::vector<std::string>;

class Redis {
 public:
  // Connects (with the TLS handshake for rediss://), authenticates and selects the database.
  // Connection failures are kInfrastructure errors naming the address and the reason, retryable
  // unless a TLS certificate was refused (redis/tls_transport.h); unusable TLS files are kConfig.
  static Result<std::unique_ptr<Redis>> Connect(
      const RedisEndpoint& endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~Redis();
  Redis(const Redis&) = delete;
  Redis& operator=(const Redis&) = delete;

  // One command. A Redis error reply (e.g. BUSYGROUP) is returned as a value, not as an Error;
  // the Error is for I/O failures, after which the connection is unusable (ok() is false).
  Result<RedisValue> Command(const RedisArgs& args);
  // Several commands in one round trip; replies in order.
  Result<std::vector<RedisValue>> Pipeline(const std::vector<RedisArgs>& commands);
  // Like Pipeline, but when the connection fails it reconnects with `policy`'s backoff and sends
  // the commands again (so a command may run twice: callers send idempotent writes or accept a
  // repeat), until they go through or the retries are used up.
  Result<std::vector<RedisValue>> PipelineRetrying(const std::vector<RedisArgs>& commands,
                                                   const BackoffPolicy& policy);
  // Replaces the connection with a new one to the same endpoint.
  Status Reconnect();
  // Sets the read timeout (for blocking commands: XREAD BLOCK needs more than BLOCK); 0: none.
  void SetTimeout(std::chrono::milliseconds timeout);

  // The next reply pushed by the server (a SUBSCRIBE'd connection's messages). Blocks up to the
  // connection's timeout.
  Result<RedisValue> ReadReply();
  // Shuts the socket down, making a blocked ReadReply on another thread return. Thread-safe.
  void Interrupt();

  // False once an I/O error broke the connection.
  bool ok() const;

  // Connections re-established after a failure, process-wide (a metric).
  static uint64_t reconnects();
  static void CountReconnect();
  const RedisEndpoint& endpoint() const { return endpoint_; }

 private:
  struct Context;  // hiredis' formatter and reader over the transport (redis.cc)
  Redis(std::unique_ptr<Context> ctx, RedisEndpoint endpoint);
  Error IoError(std::string_view what) const;

  std::unique_ptr<Context> ctx_;
  RedisEndpoint endpoint_;  // with Sentinel, the master's address as last found
  bool demoted_ = false;    // behind Sentinel, the server answered READONLY: reconnect
};

}  // namespace raibid
