// A synchronous Redis connection (hiredis). Not thread-safe: one connection per thread that talks
// to Redis. Every command goes through the argv form, so values are binary-safe and never parsed.
#pragma once

#include <hiredis/hiredis.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/backoff.h"
#include "util/error.h"

namespace raibid {

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_socket;  // redis+unix:// or unix://
  std::string username, password;
  int db = 0;
};

// redis://[[user]:password@]host[:port][/db], unix:///path/to/socket[?db=N]. kConfig error on
// anything else (rediss:// names itself: Debian's hiredis has no TLS).
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

// An owned reply; null when the command failed before a reply arrived.
class RedisReply {
 public:
  RedisReply() = default;
  explicit RedisReply(redisReply* r) : reply_(r, &freeReplyObject) {}
  const redisReply* get() const { return reply_.get(); }
  const redisReply* operator->() const { return reply_.get(); }
  bool is_nil() const { return reply_ && reply_->type == REDIS_REPLY_NIL; }
  bool is_error() const { return reply_ && reply_->type == REDIS_REPLY_ERROR; }
  std::string str() const;

 private:
  std::shared_ptr<redisReply> reply_;
};

// The text of a string/status/error reply element, "" for other types.
std::string ReplyString(const redisReply* r);

using RedisArgs = std::vector<std::string>;

class Redis {
 public:
  // Connects, authenticates and selects the database. Connection failures are retryable
  // kInfrastructure errors naming the address.
  static Result<std::unique_ptr<Redis>> Connect(
      const RedisEndpoint& endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~Redis();
  Redis(const Redis&) = delete;
  Redis& operator=(const Redis&) = delete;

  // One command. A Redis error reply (e.g. BUSYGROUP) is returned as a reply, not as an Error;
  // the Error is for I/O failures, after which the connection is unusable (ok() is false).
  Result<RedisReply> Command(const RedisArgs& args);
  // Several commands in one round trip; replies in order.
  Result<std::vector<RedisReply>> Pipeline(const std::vector<RedisArgs>& commands);
  // Like Pipeline, but when the connection fails it reconnects with `policy`'s backoff and sends
  // the commands again (so a command may run twice: callers send idempotent writes or accept a
  // repeat), until they go through or the retries are used up.
  Result<std::vector<RedisReply>> PipelineRetrying(const std::vector<RedisArgs>& commands,
                                                   const BackoffPolicy& policy);
  // Replaces the connection with a new one to the same endpoint.
  Status Reconnect();
  // Sets the socket read timeout (for blocking commands: XREAD BLOCK needs more than BLOCK).
  void SetTimeout(std::chrono::milliseconds timeout);

  // The next reply pushed by the server (a SUBSCRIBE'd connection's messages). Blocks up to the
  // connection's timeout.
  Result<RedisReply> ReadReply();
  // Shuts the socket down, making a blocked ReadReply on another thread return. Thread-safe.
  void Interrupt();

  bool ok() const { return ctx_ && ctx_->err == 0; }

  // Connections re-established after a failure, process-wide (a metric).
  static uint64_t reconnects();
  static void CountReconnect();
  const RedisEndpoint& endpoint() const { return endpoint_; }

 private:
  Redis(redisContext* ctx, RedisEndpoint endpoint) : ctx_(ctx), endpoint_(std::move(endpoint)) {}
  Error IoError(std::string_view what) const;

  redisContext* ctx_;
  RedisEndpoint endpoint_;
};

// "host:port" or the socket path, for messages.
std::string Describe(const RedisEndpoint& endpoint);

}  // namespace raibid
