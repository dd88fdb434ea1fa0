#include "redis/redis.h"

#include <hiredis/hiredis.h>

#include <atomic>
#include <thread>

#include "redis/sentinel.h"
#include "redis/transport.h"

namespace raibid {

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

// Takes over a reply the builder made (the root value, on the heap).
RedisValue TakeReply(void* raw) {
  std::unique_ptr<RedisValue> root(static_cast<RedisValue*>(raw));
  return std::move(*root);
}

// Under TLS 1.3 a server that refuses the client's certificate (or its absence) says so only
// after the handshake, by an alert or by hanging up. One round trip right after the handshake
// makes that a connection error that says what probably happened.
Status CheckTlsSession(Redis& redis, const RedisEndpoint& endpoint) {
  auto r = redis.Command({"PING"});  // any reply will do, NOAUTH included
  if (r) return {};
  Error e = r.error();
  e.message += endpoint.tls.cert_file.empty()
                   ? " (right after the TLS handshake: does the server require a client "
                     "certificate? see redis.tls.cert_file)"
                   : " (right after the TLS handshake: did the server refuse the client "
                     "certificate?)";
  return std::unexpected(e);
}

// AUTH and SELECT, as the endpoint asks.
Status LogIn(Redis& redis, const RedisEndpoint& endpoint) {
  if (endpoint.tls.enabled) {
    if (auto s = CheckTlsSession(redis, endpoint); !s) return s;
  }
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

// The connection: hiredis' command formatter and reply reader over a transport of ours (a plain
// socket or TLS: hiredis 0.14 has no TLS of its own). Commands are formatted into `out` and
// written when a reply is wanted, so a pipeline goes out in one write.
struct Redis::Context {
  explicit Context(std::unique_ptr<RedisTransport> transport)
      : transport(std::move(transport)),
        reader(redisReaderCreateWithFunctions(&g_value_functions)) {
    if (reader == nullptr) err = "out of memory";
  }
  ~Context() {
    if (reader != nullptr) redisReaderFree(reader);
  }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  void Append(const RedisArgs& args);
  // The next reply (a root the builder made), or false with `err` set.
  bool GetReply(void** reply);

  std::unique_ptr<RedisTransport> transport;
  redisReader* const reader;
  std::string out;  // formatted commands not yet written
  std::string err;  // why the connection broke; empty while it works
};

void Redis::Context::Append(const RedisArgs& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  char* cmd = nullptr;
  const int len =
      redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), argv.data(), lens.data());
  if (len < 0) {
    err = "out of memory";
    return;
  }
  out.append(cmd, static_cast<size_t>(len));
  redisFreeCommand(cmd);
}

bool Redis::Context::GetReply(void** reply) {
  if (!err.empty()) return false;
  if (!out.empty()) {
    auto written = transport->Write(out);
    out.clear();
    if (!written) {
      err = written.error().message;
      return false;
    }
  }
  char buf[16 * 1024];
  while (true) {
    if (redisReaderGetReply(reader, reply) != REDIS_OK) {
      err = reader->errstr;
      return false;
    }
    if (*reply != nullptr) return true;
    auto n = transport->Read(buf, sizeof buf);
    if (!n) {
      err = n.error().message;
      return false;
    }
    if (redisReaderFeed(reader, buf, *n) != REDIS_OK) {
      err = reader->errstr;
      return false;
    }
  }
}

Redis::Redis(std::unique_ptr<Context> ctx, RedisEndpoint endpoint)
    : ctx_(std::move(ctx)), endpoint_(std::move(endpoint)) {}

Redis::~Redis() = default;

Result<std::unique_ptr<Redis>> Redis::Connect(const RedisEndpoint& endpoint,
                                              std::chrono::milliseconds timeout) {
  RedisEndpoint target = endpoint;  // with Sentinel, the master's address filled in
  if (endpoint.sentinel) {
    auto master = AskSentinelsForMaster(*endpoint.sentinel, endpoint.tls, timeout);
    if (!master) return std::unexpected(master.error());
    target.host = master->host;
    target.port = master->port;
  }
  auto transport = OpenRedisTransport(target, timeout);
  if (!transport) return std::unexpected(transport.error());
  std::unique_ptr<Redis> redis(new Redis(std::make_unique<Context>(std::move(*transport)), target));
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

bool Redis::ok() const { return ctx_->err.empty() && !demoted_; }

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

void Redis::SetTimeout(std::chrono::milliseconds timeout) { ctx_->transport->SetTimeout(timeout); }

Error Redis::IoError(std::string_view what) const {
  std::string reason = !ctx_->err.empty() ? ctx_->err
                       : demoted_         ? "the server is a replica now (READONLY): a failover; "
                                            "the sentinels are asked for the new master"
                                          : "no reply";
  return Error{ErrorKind::kInfrastructure,
               "redis at " + Describe(endpoint_) + ": " + std::string(what) + ": " + reason, true};
}

Result<RedisValue> Redis::ReadReply() {
  if (!ok()) return std::unexpected(IoError("connection is broken"));
  void* raw = nullptr;
  if (!ctx_->GetReply(&raw)) {
    return std::unexpected(IoError("reading a pushed message"));
  }
  return TakeReply(raw);
}

void Redis::Interrupt() { ctx_->transport->Interrupt(); }

Result<RedisValue> Redis::Command(const RedisArgs& args) {
  auto replies = Pipeline({args});
  if (!replies) return std::unexpected(replies.error());
  return std::move(replies->front());
}

Result<std::vector<RedisValue>> Redis::Pipeline(const std::vector<RedisArgs>& commands) {
  if (!ok()) return std::unexpected(IoError("connection is broken"));
  for (const auto& args : commands) ctx_->Append(args);
  std::vector<RedisValue> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (!ctx_->GetReply(&raw)) {
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
