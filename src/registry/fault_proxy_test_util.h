// For registry tests: an HTTP proxy in front of the real registry that can fail chosen requests
// (before or after they reach the registry), answer 429/503, and always hands `Location`
// headers back relative, as some registries (and Gitea behind a proxy) do. It records every
// request. A fault-injecting wrapper around the real thing, not a mock: what passes reaches the
// real registry.
#pragma once

#include <httplib.h>

#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "util/mutex.h"

namespace raibid::testing {

enum class Fault { kNone, kFailBefore, kFailAfter, kTooManyRequests, kUnavailable };

class FaultProxy {
 public:
  // Decides the fault for a request: method, target (path and query), and how many requests
  // with that method came before it (0 for the first).
  using Rule = std::function<Fault(const std::string& method, const std::string& target, int n)>;

  explicit FaultProxy(int upstream_port) : upstream_port_(upstream_port) {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Handle(req, res);
    };
    server_.Get(".*", handler);  // HEAD too
    server_.Delete(".*", handler);
    server_.Post(".*", handler);
    server_.Put(".*", handler);
    server_.Patch(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("proxy: bind failed");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  ~FaultProxy() {
    server_.stop();
    thread_.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_rule(Rule rule) {
    MutexLock lock(&mu_);
    rule_ = std::move(rule);
  }
  // Requests with `method` whose target contains `part`.
  int Count(const std::string& method, const std::string& part = "") const {
    MutexLock lock(&mu_);
    int n = 0;
    for (const auto& r : requests_)
      n += r.rfind(method + " ", 0) == 0 && r.find(part) != std::string::npos;
    return n;
  }
  int relative_locations() const { return relative_locations_; }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    Fault fault = Fault::kNone;
    {
      MutexLock lock(&mu_);
      int n = 0;
      for (const auto& r : requests_) n += r.rfind(req.method + " ", 0) == 0;
      requests_.push_back(req.method + " " + req.target);
      if (rule_) fault = rule_(req.method, req.target, n);
    }
    if (fault == Fault::kTooManyRequests || fault == Fault::kUnavailable) {
      res.status = fault == Fault::kTooManyRequests ? 429 : 503;
      if (res.status == 429) res.set_header("Retry-After", "0");
      res.set_content(R"({"errors":[{"code":"TOOMANYREQUESTS","message":"injected"}]})",
                      "application/json");
      return;
    }
    if (fault != Fault::kFailBefore) Forward(req, res);
    if (fault == Fault::kFailBefore || fault == Fault::kFailAfter) {
      res = httplib::Response();
      res.status = 502;
      res.set_content("injected failure", "text/plain");
    }
  }

  void Forward(const httplib::Request& req, httplib::Response& res) {
    httplib::Client cli("127.0.0.1", upstream_port_);
    cli.set_url_encode(false);
    httplib::Request up;
    up.method = req.method;
    up.path = req.target;
    up.body = req.body;
    for (const auto& [k, v] : req.headers) {
      if (k == "Host" || k == "Content-Length" || k == "Connection" || k.starts_with("REMOTE_") ||
          k.starts_with("LOCAL_")) {
        continue;
      }
      up.headers.emplace(k, v);
    }
    auto r = cli.send(up);
    if (!r) {
      res.status = 502;
      return;
    }
    res.status = r->status;
    for (const auto& [k, v] : r->headers) {
      if (k == "Content-Length" || k == "Transfer-Encoding" || k == "Connection") continue;
      if (k == "Location" && v.find("://") != std::string::npos) {
        res.set_header(k, v.substr(v.find('/', v.find("://") + 3)));
        ++relative_locations_;
        continue;
      }
      res.set_header(k, v);
    }
    res.body = r->body;
  }

  int upstream_port_;
  int port_ = 0;
  httplib::Server server_;
  std::thread thread_;
  mutable Mutex mu_;
  Rule rule_ GUARDED_BY(mu_);
  std::vector<std::string> requests_ GUARDED_BY(mu_);
  std::atomic<int> relative_locations_{0};
};

}  // namespace raibid::testing
