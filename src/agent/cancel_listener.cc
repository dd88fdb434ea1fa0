#include "agent/cancel_listener.h"

#include <spdlog/spdlog.h>

#include "redis/fault.h"
#include "report/keys.h"
#include "util/backoff.h"

namespace raibid {

CancelListener::CancelListener(RedisEndpoint endpoint, CancelRegistry& registry)
    : endpoint_(std::move(endpoint)), registry_(registry), thread_([this] { Loop(); }) {}

CancelListener::~CancelListener() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    if (current_) current_->Interrupt();
  }
  wake_.NotifyAll();
  thread_.join();
}

bool CancelListener::Listen(Redis& redis) {
  auto r = redis.Command({"SUBSCRIBE", kCancelChannel});
  if (!r) return false;
  if (r->is_error()) {
    // An ACL without SUBSCRIBE or the channel: said once per attempt, attempts backed off.
    spdlog::warn("cancel requests not heard: {}",
                 DescribeRedisFault(ClassifyRedisError(r->str()), kCancelChannel));
    return false;
  }
  subscribed_ = true;
  redis.SetTimeout(std::chrono::milliseconds(0));  // block until a message or Interrupt
  while (!stopping_) {
    auto msg = redis.ReadReply();
    if (!msg) break;
    const RedisValue& m = *msg;  // ["message", channel, payload]
    if (!m.is_array() || m.elements().size() < 3 || m.element(0).str() != "message") continue;
    const std::string job_id = m.element(2).str();
    if (registry_.Cancel(job_id)) spdlog::info("cancel requested for job {}: stopping it", job_id);
  }
  subscribed_ = false;
  return true;
}

void CancelListener::Loop() {
  // 0.25 s doubling to 8 s while Redis is away or refuses; back to the start after a
  // subscription that worked.
  const BackoffPolicy policy{.initial = Millis(250), .max_retries = -1, .cap = Millis(8000)};
  Backoff backoff(policy);
  while (!stopping_) {
    auto conn = Redis::Connect(endpoint_);
    if (conn) {
      {
        MutexLock lock(&mu_);
        if (stopping_) return;
        current_ = conn->get();
      }
      if (Listen(**conn)) backoff = Backoff(policy);
      MutexLock lock(&mu_);
      current_ = nullptr;
    }
    const Millis delay = backoff.Next().value_or(policy.cap);
    MutexLock lock(&mu_);
    wake_.WaitFor(&mu_, delay, [&] { return stopping_.load(); });
  }
}

}  // namespace raibid
