#include "server/http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

namespace raibid {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string Response(int status, std::string_view reason, std::string_view content_type,
                     std::string_view body, bool with_body, std::string_view extra = {}) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  out += "Content-Type: " + std::string(content_type) + "\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += extra;
  out += "Connection: close\r\n\r\n";
  if (with_body) out += body;
  return out;
}

std::string PlainText(int status, std::string_view reason, std::string_view body,
                      bool with_body = true, std::string_view extra = {}) {
  return Response(status, reason, "text/plain; charset=utf-8", std::string(body) + "\n", with_body,
                  extra);
}

std::string Probe(bool ok, std::string_view good, std::string_view bad, bool with_body) {
  return ok ? PlainText(200, "OK", good, with_body)
            : PlainText(503, "Service Unavailable", bad, with_body);
}

// Splits "HOST:PORT" ("[v6]:PORT" too); false when there is no port number.
bool SplitListen(const std::string& listen, std::string& host, int& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  const char* end = listen.data() + listen.size();
  auto [ptr, ec] = std::from_chars(listen.data() + colon + 1, end, port);
  if (ec != std::errc() || ptr != end || port < 0 || port > 65535) return false;
  host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return true;
}

// A listening, non-blocking socket on `addr`; the errno text on failure.
Result<UniqueFd> ListenOn(const addrinfo& addr) {
  UniqueFd fd(socket(addr.ai_family, addr.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  // SO_REUSEADDR lets a restarted agent bind while its old connections sit in TIME_WAIT; never
  // SO_REUSEPORT, which would let a second agent share the port and take half the probes.
  const int one = 1;
  if (!fd.valid() || setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(fd.get(), addr.ai_addr, addr.ai_addrlen) != 0 || listen(fd.get(), 64) != 0) {
    return Fail(ErrorKind::kConfig, std::strerror(errno));
  }
  return fd;
}

// A listening socket on the first address `host` resolves to that can be bound (a name such as
// "localhost" may give ::1 on a machine without IPv6, then 127.0.0.1); the first failure's text
// when none can.
Result<UniqueFd> Listen(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found);
      rc != 0) {
    return Fail(ErrorKind::kConfig, gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);
  Result<UniqueFd> first = ListenOn(*found);
  for (const addrinfo* a = found->ai_next; !first && a != nullptr; a = a->ai_next) {
    if (auto next = ListenOn(*a)) return next;
  }
  return first;
}

int BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  return addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                    : ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

}  // namespace

struct HttpServer::Connection {
  enum class Phase { kReading, kWriting, kDraining };
  UniqueFd fd;
  Phase phase = Phase::kReading;
  std::string in;
  std::string out;
  size_t sent = 0;
  SteadyClock::time_point deadline;
};

HttpServer::HttpServer(HealthChecks checks) : checks_(std::move(checks)) {}

HttpServer::~HttpServer() {
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  (void)!write(stop_.get(), &one, sizeof one);
  thread_.join();
}

Status HttpServer::Start(const std::string& listen) {
  std::string host;
  int wanted = 0;
  if (!SplitListen(listen, host, wanted)) {
    return Fail(ErrorKind::kConfig, "http.listen '" + listen + "': expected HOST:PORT");
  }
  auto fd = Listen(host, wanted);
  if (!fd) {
    return Fail(ErrorKind::kConfig,
                "http.listen: cannot listen on " + listen + ": " + fd.error().message);
  }
  stop_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_.valid()) return std::unexpected(ErrnoError(errno, "http server eventfd"));
  listener_ = std::move(*fd);
  host_ = host;
  port_ = BoundPort(listener_.get());
  thread_ = std::thread([this] { Serve(); });
  return {};
}

std::string HttpServer::url() const {
  const bool v6 = host_.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host_ + "]" : host_) + ":" + std::to_string(port_) + "/";
}

// One thread, one poll over the stop signal, the listener and every open connection; each
// connection reads one request head, gets its answer, and is closed.
void HttpServer::Serve() {
  std::vector<Connection> open;
  std::vector<pollfd> fds;
  while (true) {
    fds.clear();
    fds.push_back({stop_.get(), POLLIN, 0});
    const bool room = open.size() < kMaxConnections;
    fds.push_back({room ? listener_.get() : -1, POLLIN, 0});
    auto next = SteadyClock::time_point::max();
    for (const Connection& c : open) {
      fds.push_back({c.fd.get(),
                     static_cast<short>(c.phase == Connection::Phase::kWriting ? POLLOUT : POLLIN),
                     0});
      next = std::min(next, c.deadline);
    }
    int timeout = -1;
    if (!open.empty()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(next - SteadyClock::now());
      timeout = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) return;
    // Each connection advances or, past its deadline, is closed; the rest keep their order.
    const auto now = SteadyClock::now();
    size_t kept = 0;
    for (size_t i = 0; i < open.size(); ++i) {
      if (now >= open[i].deadline || (fds[i + 2].revents != 0 && !Advance(open[i]))) continue;
      if (kept != i) open[kept] = std::move(open[i]);
      ++kept;
    }
    open.resize(kept);
    if (fds[1].revents != 0) AcceptAll(open);
  }
}

void HttpServer::AcceptAll(std::vector<Connection>& open) {
  while (open.size() < kMaxConnections) {
    int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or an aborted connection: poll again
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Connection& c = open.emplace_back();
    c.fd.reset(fd);
    c.deadline = SteadyClock::now() + std::chrono::milliseconds(kRequestTimeoutMs);
  }
}

bool HttpServer::Advance(Connection& c) {
  char buf[4096];
  if (c.phase != Connection::Phase::kWriting) {
    const ssize_t n = recv(c.fd.get(), buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    if (n <= 0) return false;  // closed by the client, or reset
    if (c.phase == Connection::Phase::kDraining) return true;
    c.in.append(buf, n);
    const auto end = c.in.find("\r\n\r\n");
    if (end == std::string::npos && c.in.size() <= kMaxHead) return true;
    c.out = end == std::string::npos || end > kMaxHead
                ? PlainText(431, "Request Header Fields Too Large",
                            "request head over " + std::to_string(kMaxHead / 1024) + " KiB")
                : Answer(std::string_view(c.in).substr(0, end));
    c.phase = Connection::Phase::kWriting;
  }
  const ssize_t n = send(c.fd.get(), c.out.data() + c.sent, c.out.size() - c.sent, MSG_NOSIGNAL);
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  c.sent += n;
  if (c.sent < c.out.size()) return true;
  // All sent: end our side, then read what the client still sends until it closes (or the
  // deadline), so closing with unread bytes cannot reset the connection before it read the answer.
  shutdown(c.fd.get(), SHUT_WR);
  c.phase = Connection::Phase::kDraining;
  c.deadline = std::min(c.deadline, SteadyClock::now() + std::chrono::seconds(1));
  return true;
}

std::string HttpServer::Answer(std::string_view head) {
  const std::string_view line = head.substr(0, head.find("\r\n"));
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || !line.substr(sp2 + 1).starts_with("HTTP/1.")) {
    return PlainText(400, "Bad Request", "expected a request line such as 'GET /metrics HTTP/1.1'");
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view path = line.substr(sp1 + 1, sp2 - sp1 - 1);
  path = path.substr(0, path.find('?'));
  const bool body = method == "GET";
  if (!body && method != "HEAD") {
    return PlainText(405, "Method Not Allowed", "only GET and HEAD", true, "Allow: GET, HEAD\r\n");
  }
  try {
    if (path == "/healthz") return Probe(checks_.alive(), "ok", "main loop stalled", body);
    if (path == "/startupz") return Probe(checks_.started(), "started", "starting", body);
    if (path == "/readyz") {
      const std::optional<std::string> reason = checks_.not_ready();
      return Probe(!reason, "ready", reason ? "not ready: " + *reason : "", body);
    }
    if (path == "/metrics") {
      return Response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", checks_.metrics(),
                      body);
    }
  } catch (const std::exception& e) {
    return PlainText(500, "Internal Server Error", e.what(), body);
  }
  return PlainText(404, "Not Found", "no such endpoint: /healthz, /readyz, /startupz, /metrics",
                   body);
}

}  // namespace raibid
