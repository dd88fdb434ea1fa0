#include "redis/redis.h"

#include <hiredis/hiredis.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "redis/sentinel.h"

namespace raibid {

struct Redis::Context {
  explicit Context(redisContext* c) : c(c) {}
  ~Context() { redisFree(c); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  redisContext* const c;
};

// hiredis' reply-object hooks, building RedisValues as the protocol is read: each reply is
// copied out of the read buffer once, into its value, with no redisReply in between. An array's
// elements are made in place in its vector, sized when the array header is read (hiredis fills
// an array's elements in order before it moves on). hiredis owns the root until redisGetReply
// hands it over, and frees only roots (a half-read reply when the connection goes). Out of
// memory becomes hiredis' own error: no exception crosses its C frames. hiredis 1.x adds
// createDouble and createBool (RESP3) to these hooks.
struct RedisValueBuilder {
  template <typename Make>
  static void* Build(const redisReadTask* task, Make make) noexcept {
    try {
      if (task->parent == nullptr) return new RedisValue(make());
      auto* parent = static_cast<RedisValue*>(task->parent->obj);
      RedisValue& slot = parent->elements_.at(static_cast<size_t>(task->idx));
      slot = make();
      return &slot;
    } catch (const std::exception&) {
      return nullptr;
    }
  }
  static void* String(const redisReadTask* task, char* str, size_t len) {
    const auto type = task->type == REDIS_REPLY_ERROR    ? RedisValue::Type::kError
                      : task->type == REDIS_REPLY_STATUS ? RedisValue::Type::kStatus
                                                         : RedisValue::Type::kString;
    return Build(task, [&] { return RedisValue::Text(type, std::string(str, len)); });
  }
  static void* Array(const redisReadTask* task, int elements) {
    return Build(task, [&] {
      return RedisValue::Array(std::vector<RedisValue>(static_cast<size_t>(elements)));
    });
  }
  static void* Integer(const redisReadTask* task, long long n) {
    return Build(task, [&] { return RedisValue::Integer(n); });
  }
  static void* Nil(const redisReadTask* task) {
    return Build(task, [] { return RedisValue(); });
  }
  static void Free(void* root) { delete static_cast<RedisValue*>(root); }
};

namespace {

redisReplyObjectFunctions g_value_functions = {RedisValueBuilder::String, RedisValueBuilder::Array,
                                               RedisValueBuilder::Integer, RedisValueBuilder::Nil,
                                               RedisValueBuilder::Free};

std::atomic<uint64_t> g_reconnects{0};

timeval ToTimeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

// Takes over a reply the builder made (the root value, on the heap).
RedisValue TakeReply(void* raw) {
  std::unique_ptr<RedisValue> root(static_cast<RedisValue*>(raw));
  return std::move(*root);
}

// The transport: a TCP or unix socket with `timeout` for connecting, reading and writing. An
// owned context on success.
Result<redisContext*> OpenSocket(const RedisEndpoint& endpoint, std::chrono::milliseconds timeout) {
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
  redisSetTimeout(c, tv);
  c->reader->fn = &g_value_functions;
  return c;
}

// AUTH and SELECT, as the endpoint asks.
Status LogIn(Redis& redis, const RedisEndpoint& endpoint) {
  if (!endpoint.password.empty()) {
    RedisArgs auth = {"AUTH"};
    if (!endpoint.username.empty()) auth.push_back(endpoint.username);
    auth.push_back(endpoint.password);
    auto r = redis.Command(auth);
    if (!r) return std::unexpected(r.error());
    if (r->is_error()) {
      return Fail(ErrorKind::kInfrastructure,
                  "redis at " + Describe(endpoint) + " refused authentication: " + r->str());
    }
  }
  if (endpoint.db != 0) {
    auto r = redis.Command({"SELECT", std::to_string(endpoint.db)});
    if (!r) return std::unexpected(r.error());
    if (r->is_error()) return Fail(ErrorKind::kConfig, "redis SELECT failed: " + r->str());
  }
  return {};
}

}  // namespace

Redis::Redis(std::unique_ptr<Context> ctx, RedisEndpoint endpoint)
    : ctx_(std::move(ctx)), endpoint_(std::move(endpoint)) {}

Redis::~Redis() = default;

Result<std::unique_ptr<Redis>> Redis::Connect(const RedisEndpoint& endpoint,
                                              std::chrono::milliseconds timeout) {
  RedisEndpoint target = endpoint;  // with Sentinel, the master's address filled in
  if (endpoint.sentinel) {
    auto master = AskSentinelsForMaster(*endpoint.sentinel, timeout);
    if (!master) return std::unexpected(master.error());
    target.host = master->host;
    target.port = master->port;
  }
  auto socket = OpenSocket(target, timeout);
  if (!socket) return std::unexpected(socket.error());
  std::unique_ptr<Redis> redis(new Redis(std::make_unique<Context>(*socket), target));
  if (auto s = LogIn(*redis, target); !s) return std::unexpected(s.error());
  if (target.sentinel) {
    if (auto s = CheckIsMaster(*redis, target.sentinel->master_name); !s) {
      return std::unexpected(s.error());
    }
  }
  return redis;
}

uint64_t Redis::reconnects() { return g_reconnects.load(); }
void Redis::CountReconnect() { ++g_reconnects; }

bool Redis::ok() const { return ctx_->c->err == 0 && !demoted_; }

Status Redis::Reconnect() {
  auto fresh = Connect(endpoint_);
  if (!fresh) return std::unexpected(fresh.error());
  std::swap(ctx_, (*fresh)->ctx_);
  endpoint_ = (*fresh)->endpoint_;  // with Sentinel, perhaps a new master's address
  demoted_ = false;
  CountReconnect();
  return {};
}

Result<std::vector<RedisValue>> Redis::PipelineRetrying(const std::vector<RedisArgs>& commands,
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

void Redis::SetTimeout(std::chrono::milliseconds timeout) {
  redisSetTimeout(ctx_->c, ToTimeval(timeout));
}

Error Redis::IoError(std::string_view what) const {
  std::string reason = ctx_->c->err ? ctx_->c->errstr
                       : demoted_   ? "the server is a replica now (READONLY): a failover; the "
                                      "sentinels are asked for the new master"
                                    : "no reply";
  return Error{ErrorKind::kInfrastructure,
               "redis at " + Describe(endpoint_) + ": " + std::string(what) + ": " + reason, true};
}

Result<RedisValue> Redis::ReadReply() {
  if (!ok()) return std::unexpected(IoError("connection is broken"));
  void* raw = nullptr;
  if (redisGetReply(ctx_->c, &raw) != REDIS_OK || raw == nullptr) {
    return std::unexpected(IoError("reading a pushed message"));
  }
  return TakeReply(raw);
}

void Redis::Interrupt() {
  if (ctx_->c->fd >= 0) ::shutdown(ctx_->c->fd, SHUT_RDWR);
}

Result<RedisValue> Redis::Command(const RedisArgs& args) {
  auto replies = Pipeline({args});
  if (!replies) return std::unexpected(replies.error());
  return std::move(replies->front());
}

Result<std::vector<RedisValue>> Redis::Pipeline(const std::vector<RedisArgs>& commands) {
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
    redisAppendCommandArgv(ctx_->c, static_cast<int>(argv.size()), argv.data(), lens.data());
  }
  std::vector<RedisValue> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_->c, &raw) != REDIS_OK || raw == nullptr) {
      return std::unexpected(IoError(commands[i].empty() ? "command" : commands[i][0]));
    }
    replies.push_back(TakeReply(raw));
  }
  // A master demoted by a failover answers writes with READONLY; behind Sentinel that means
  // "reconnect", so the connection counts as broken and callers' reconnect paths ask again.
  if (endpoint_.sentinel) {
    for (size_t i = 0; i < replies.size(); ++i) {
      if (replies[i].is_error() && replies[i].str().starts_with("READONLY")) {
        demoted_ = true;
        return std::unexpected(IoError(commands[i].empty() ? "command" : commands[i][0]));
      }
    }
  }
  return replies;
}

}  // namespace raibid
