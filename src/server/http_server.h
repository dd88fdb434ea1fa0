// The health and metrics endpoint (docs/reference.md, HTTP): GET /healthz, /readyz, /startupz and
// /metrics on agent.http.listen, served by cpp-httplib on its own threads.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "util/error.h"

namespace httplib {
class Server;
}

namespace raibid {

struct HealthChecks {
  std::function<bool()> alive;  // /healthz: the main loop is not stuck
  // /readyz: nullopt when the agent may take jobs, else why not ("work dir /w not writable:
  // Permission denied"), answered as 503 "not ready: <reason>".
  std::function<std::optional<std::string>()> not_ready;
  std::function<bool()> started;         // /startupz: caches initialised
  std::function<std::string()> metrics;  // /metrics: the exposition text
};

class HttpServer {
 public:
  explicit HttpServer(HealthChecks checks);
  ~HttpServer();  // stops serving
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds "HOST:PORT" (port 0 picks a free one) and serves on a thread of its own; returns once
  // that thread is serving, so the destructor (stop) may follow at once. A kConfig error naming
  // the address when it cannot bind.
  Status Start(const std::string& listen);
  int port() const { return port_; }
  // Where it listens once started, the port it got included: "http://127.0.0.1:36307/" (an IPv6
  // host in brackets).
  std::string url() const;

 private:
  HealthChecks checks_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> listen_ended_{false};  // the serving thread is done
  int port_ = 0;
  std::string host_;  // as bound, without brackets
};

}  // namespace raibid
