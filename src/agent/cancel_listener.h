// Listens on the `ci:cancel` channel and stops the named job if it runs on this agent. Runs its
// own thread and connection; reconnects with backoff when Redis goes away.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "redis/redis.h"
#include "runner/cancel_registry.h"
#include "util/mutex.h"

namespace raibid {

class CancelListener {
 public:
  CancelListener(RedisEndpoint endpoint, CancelRegistry& registry);
  ~CancelListener();  // stops the thread

  // True once subscribed (tests wait for it before publishing).
  bool subscribed() const { return subscribed_.load(); }

 private:
  void Loop();
  // Subscribes and hands on cancel requests until the connection ends; false when the
  // subscription itself failed.
  bool Listen(Redis& redis);

  const RedisEndpoint endpoint_;
  CancelRegistry& registry_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> subscribed_{false};
  Mutex mu_;
  CondVar wake_;
  Redis* current_ GUARDED_BY(mu_) = nullptr;  // the connection Loop is blocked on
  std::thread thread_;
};

}  // namespace raibid
