#include "server/http_server.h"

#include <httplib.h>

#include <charconv>

namespace raibid {
namespace {

void Probe(httplib::Response& res, bool ok, const char* good, const char* bad) {
  res.status = ok ? 200 : 503;
  res.set_content(std::string(ok ? good : bad) + "\n", "text/plain; charset=utf-8");
}

}  // namespace

HttpServer::HttpServer(HealthChecks checks)
    : checks_(std::move(checks)), server_(std::make_unique<httplib::Server>()) {
  // Headers and body go out in separate writes; without this, Nagle plus the scraper's delayed
  // ACK holds every answer for 40 ms.
  server_->set_tcp_nodelay(true);
  // Probes and a scraper need no more than two workers; the library's default is eight.
  server_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  server_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    Probe(res, checks_.alive(), "ok", "main loop stalled");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const bool ready = checks_.ready();
    const auto fault = !ready && checks_.redis_fault ? checks_.redis_fault() : std::nullopt;
    const std::string why =
        fault ? "not ready: " + *fault : "not ready: redis unreachable, group missing, or draining";
    Probe(res, ready, "ready", why.c_str());
  });
  server_->Get("/startupz", [this](const httplib::Request&, httplib::Response& res) {
    Probe(res, checks_.started(), "started", "starting");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(checks_.metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

HttpServer::~HttpServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

Status HttpServer::Start(const std::string& listen) {
  const auto colon = listen.rfind(':');
  int wanted = 0;  // the port; 0: any free one
  if (colon == std::string::npos ||
      std::from_chars(listen.data() + colon + 1, listen.data() + listen.size(), wanted).ec !=
          std::errc()) {
    return Fail(ErrorKind::kConfig, "http.listen '" + listen + "': expected HOST:PORT");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  port_ = wanted == 0 ? server_->bind_to_any_port(host)
                      : (server_->bind_to_port(host, wanted) ? wanted : -1);
  if (port_ <= 0) {
    return Fail(ErrorKind::kConfig, "http.listen: cannot listen on " + listen);
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return {};
}

}  // namespace raibid
