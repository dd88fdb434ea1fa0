// The health and metrics endpoint (docs/reference.md, HTTP): GET /healthz, /readyz, /startupz and
// /metrics on agent.http.listen, plain HTTP/1.1 served by one thread of its own.
//
// Written here rather than taken from a library because each library Debian ships costs what the
// agent must not: cpp-httplib initialises OpenSSL when it is loaded (about 6 MiB resident in an
// idle agent), libmicrohttpd brings GnuTLS (about 3 MiB), and Debian builds civetweb without
// IPv6. The endpoint answers four GETs and nothing else, so it is small: one poll loop, a bounded
// request head, an answer, and the connection closed.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "util/error.h"
#include "util/unique_fd.h"

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
  // At most this many connections are open at once; more wait in the listen backlog.
  static constexpr int kMaxConnections = 32;
  // A connection that has not sent its whole request head (at most kMaxHead bytes) within this
  // long is closed, so clients that send nothing cannot hold the endpoint.
  static constexpr int kRequestTimeoutMs = 5000;
  static constexpr size_t kMaxHead = 16 * 1024;

  explicit HttpServer(HealthChecks checks);
  ~HttpServer();  // stops serving
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds "HOST:PORT" (HOST a name or an address, IPv6 in brackets; port 0 picks a free one) and
  // serves on a thread of its own. A kConfig error naming the address and the reason when it
  // cannot listen there (a port already in use is refused, never shared).
  Status Start(const std::string& listen);
  int port() const { return port_; }
  // Where it listens once started, the port it got included: "http://127.0.0.1:36307/" (an IPv6
  // host in brackets).
  std::string url() const;

 private:
  struct Connection;
  void Serve();
  void AcceptAll(std::vector<Connection>& open);
  // Reads or writes what the connection is ready for; false once it is finished with.
  bool Advance(Connection& c);
  // The whole answer (status line, headers, body) to one request head.
  std::string Answer(std::string_view head);

  HealthChecks checks_;
  UniqueFd listener_;
  UniqueFd stop_;  // an eventfd the destructor signals
  std::thread thread_;
  int port_ = 0;
  std::string host_;  // as bound, without brackets
};

}  // namespace raibid
