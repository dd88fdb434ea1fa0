// The health and metrics endpoint (docs/reference.md, HTTP): GET /healthz, /readyz, /startupz and
// /metrics on agent.http.listen, served by cpp-httplib on its own threads.
#pragma once

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
  std::function<bool()> ready;  // /readyz: connected, group registered, not draining
  // The Redis fault standing now, named in /readyz's 503 body; may be empty.
  std::function<std::optional<std::string>()> redis_fault;
  std::function<bool()> started;         // /startupz: caches initialised
  std::function<std::string()> metrics;  // /metrics: the exposition text
};

class HttpServer {
 public:
  explicit HttpServer(HealthChecks checks);
  ~HttpServer();  // stops serving
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds "HOST:PORT" (port 0 picks a free one) and serves on a thread of its own. A kConfig
  // error naming the address when it cannot bind.
  Status Start(const std::string& listen);
  int port() const { return port_; }

 private:
  HealthChecks checks_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace raibid
