#include "queue/redis.h"

#include <sys/socket.h>

#include <atomic>
#include <charconv>
#include <thread>

namespace raibid {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

bool ParseInt(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

Result<RedisEndpoint> ParseUnixUrl(std::string_view rest, std::string_view url) {
  RedisEndpoint ep;
  auto q = rest.find('?');
  ep.unix_socket = std::string(rest.substr(0, q));
  if (q != std::string_view::npos) {
    auto query = rest.substr(q + 1);
    if (!query.starts_with("db=") || !ParseInt(query.substr(3), ep.db)) {
      return Fail(ErrorKind::kConfig, "redis url '" + std::string(url) + "': bad query");
    }
  }
  if (ep.unix_socket.empty()) return Fail(ErrorKind::kConfig, "redis url has no socket path");
  return ep;
}

}  // namespace

std::string ReplyString(const redisReply* r) {
  if (!r) return "";
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      return std::string(r->str, r->len);
    case REDIS_REPLY_INTEGER:
      return std::to_string(r->integer);
    default:
      return "";
  }
}

std::string RedisReply::str() const { return ReplyString(reply_.get()); }

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kRedis = "redis://", kUnix = "unix://", kRedisUnix = "redis+unix://";
  if (url.starts_with(kUnix)) return ParseUnixUrl(url.substr(kUnix.size()), url);
  if (url.starts_with(kRedisUnix)) return ParseUnixUrl(url.substr(kRedisUnix.size()), url);
  if (url.starts_with("rediss://")) {
    return Fail(ErrorKind::kConfig, "redis url '" + std::string(url) +
                                        "': TLS (rediss://) is not supported by this build");
  }
  if (!url.starts_with(kRedis)) {
    return Fail(ErrorKind::kConfig, "redis url '" + std::string(url) +
                                        "': expected redis://host:port[/db] or unix:///path");
  }
  RedisEndpoint ep;
  std::string_view rest = url.substr(kRedis.size());
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    auto cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = cred.find(':');
    if (colon == std::string_view::npos) {
      ep.password = std::string(cred);
    } else {
      ep.username = std::string(cred.substr(0, colon));
      ep.password = std::string(cred.substr(colon + 1));
    }
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    auto db = rest.substr(slash + 1);
    if (!db.empty() && !ParseInt(db, ep.db)) {
      return Fail(ErrorKind::kConfig, "redis url: bad database number '" + std::string(db) + "'");
    }
    rest = rest.substr(0, slash);
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (!ParseInt(rest.substr(colon + 1), ep.port) || ep.port <= 0 || ep.port > 65535) {
      return Fail(ErrorKind::kConfig, "redis url: bad port in '" + std::string(rest) + "'");
    }
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) ep.host = std::string(rest);
  return ep;
}

std::string Describe(const RedisEndpoint& endpoint) {
  if (!endpoint.unix_socket.empty()) return endpoint.unix_socket;
  return endpoint.host + ":" + std::to_string(endpoint.port);
}

Result<std::unique_ptr<Redis>> Redis::Connect(const RedisEndpoint& endpoint,
                                              std::chrono::milliseconds timeout) {
  timeval tv = ToTimeval(timeout);
  redisContext* ctx = endpoint.unix_socket.empty()
                          ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv)
                          : redisConnectUnixWithTimeout(endpoint.unix_socket.c_str(), tv);
  if (ctx == nullptr) return Fail(ErrorKind::kInfrastructure, "redis: out of memory", true);
  std::unique_ptr<Redis> redis(new Redis(ctx, endpoint));
  if (ctx->err) {
    return Fail(ErrorKind::kInfrastructure,
                "cannot connect to redis at " + Describe(endpoint) + ": " + ctx->errstr, true);
  }
  redisSetTimeout(ctx, tv);
  if (!endpoint.password.empty()) {
    RedisArgs auth = {"AUTH"};
    if (!endpoint.username.empty()) auth.push_back(endpoint.username);
    auth.push_back(endpoint.password);
    auto r = redis->Command(auth);
    if (!r) return std::unexpected(r.error());
    if (r->is_error()) {
      return Fail(ErrorKind::kInfrastructure,
                  "redis at " + Describe(endpoint) + " refused authentication: " + r->str());
    }
  }
  if (endpoint.db != 0) {
    auto r = redis->Command({"SELECT", std::to_string(endpoint.db)});
    if (!r) return std::unexpected(r.error());
    if (r->is_error()) return Fail(ErrorKind::kConfig, "redis SELECT failed: " + r->str());
  }
  return redis;
}

namespace {
std::atomic<uint64_t> g_reconnects{0};
}  // namespace

uint64_t Redis::reconnects() { return g_reconnects.load(); }
void Redis::CountReconnect() { ++g_reconnects; }

Status Redis::Reconnect() {
  auto fresh = Connect(endpoint_);
  if (!fresh) return std::unexpected(fresh.error());
  std::swap(ctx_, (*fresh)->ctx_);
  CountReconnect();
  return {};
}

Result<std::vector<RedisReply>> Redis::PipelineRetrying(const std::vector<RedisArgs>& commands,
                                                        const BackoffPolicy& policy) {
  Backoff backoff(policy);
  while (true) {
    if (ok()) {
      auto replies = Pipeline(commands);
      if (replies) return replies;
    }
    auto wait = backoff.Next();
    if (!wait) return Pipeline(commands);  // the last word: its error, if it still fails
    std::this_thread::sleep_for(*wait);
    (void)Reconnect();
  }
}

Redis::~Redis() {
  if (ctx_) redisFree(ctx_);
}

void Redis::SetTimeout(std::chrono::milliseconds timeout) {
  if (ctx_) redisSetTimeout(ctx_, ToTimeval(timeout));
}

Error Redis::IoError(std::string_view what) const {
  std::string reason = ctx_ && ctx_->err ? ctx_->errstr : "no reply";
  return Error{ErrorKind::kInfrastructure,
               "redis at " + Describe(endpoint_) + ": " + std::string(what) + ": " + reason, true};
}

Result<RedisReply> Redis::ReadReply() {
  if (!ok()) return std::unexpected(IoError("connection is broken"));
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
    return std::unexpected(IoError("reading a pushed message"));
  }
  return RedisReply(static_cast<redisReply*>(raw));
}

void Redis::Interrupt() {
  if (ctx_ && ctx_->fd >= 0) ::shutdown(ctx_->fd, SHUT_RDWR);
}

Result<RedisReply> Redis::Command(const RedisArgs& args) {
  auto replies = Pipeline({args});
  if (!replies) return std::unexpected(replies.error());
  return std::move(replies->front());
}

Result<std::vector<RedisReply>> Redis::Pipeline(const std::vector<RedisArgs>& commands) {
  if (!ok()) return std::unexpected(IoError("connection is broken"));
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& args : commands) {
    argv.clear();
    lens.clear();
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data());
  }
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
      return std::unexpected(IoError(commands[i].empty() ? "command" : commands[i][0]));
    }
    replies.emplace_back(static_cast<redisReply*>(raw));
  }
  return replies;
}

}  // namespace raibid
