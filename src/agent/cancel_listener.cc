#include "agent/cancel_listener.h"

#include <spdlog/spdlog.h>

#include "report/keys.h"

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

void CancelListener::Listen(Redis& redis) {
  auto r = redis.Command({"SUBSCRIBE", kCancelChannel});
  if (!r || r->is_error()) return;
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
}

void CancelListener::Loop() {
  auto delay = std::chrono::milliseconds(250);
  while (!stopping_) {
    auto conn = Redis::Connect(endpoint_);
    if (conn) {
      {
        MutexLock lock(&mu_);
        if (stopping_) return;
        current_ = conn->get();
      }
      Listen(**conn);
      MutexLock lock(&mu_);
      current_ = nullptr;
      delay = std::chrono::milliseconds(250);
    }
    MutexLock lock(&mu_);
    wake_.WaitFor(&mu_, delay, [&] { return stopping_.load(); });
    delay = std::min(delay * 2, std::chrono::milliseconds(8000));
  }
}

}  // namespace raibid
