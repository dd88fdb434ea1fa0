#include "redis/endpoint.h"

#include <charconv>

namespace raibid {
namespace {

bool ParseInt(std::string_view s, int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

Result<RedisEndpoint> ParseUnixUrl(std::string_view rest, std::string_view url) {
  RedisEndpoint ep;
  auto q = rest.find('?');
  ep.unix_socket = std::string(rest.substr(0, q));
  if (q != std::string_view::npos) {
    auto query = rest.substr(q + 1);
    if (!query.starts_with("db=") || !ParseInt(query.substr(3), ep.db)) {
      return Fail(ErrorKind::kConfig, "redis url '" + std::string(url) + "': bad query");
    }
  }
  if (ep.unix_socket.empty()) return Fail(ErrorKind::kConfig, "redis url has no socket path");
  return ep;
}

}  // namespace

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kRedis = "redis://", kRediss = "rediss://", kUnix = "unix://",
                             kRedisUnix = "redis+unix://";
  if (url.starts_with(kUnix)) return ParseUnixUrl(url.substr(kUnix.size()), url);
  if (url.starts_with(kRedisUnix)) return ParseUnixUrl(url.substr(kRedisUnix.size()), url);
  RedisEndpoint ep;
  std::string_view rest;
  if (url.starts_with(kRedis)) {
    rest = url.substr(kRedis.size());
  } else if (url.starts_with(kRediss)) {
    rest = url.substr(kRediss.size());
    ep.tls.enabled = true;
  } else {
    return Fail(ErrorKind::kConfig,
                "redis url '" + std::string(url) +
                    "': expected redis://host:port[/db], rediss://host:port[/db] or unix:///path");
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    auto cred = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = cred.find(':');
    if (colon == std::string_view::npos) {
      ep.password = std::string(cred);
    } else {
      ep.username = std::string(cred.substr(0, colon));
      ep.password = std::string(cred.substr(colon + 1));
    }
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    auto db = rest.substr(slash + 1);
    if (!db.empty() && !ParseInt(db, ep.db)) {
      return Fail(ErrorKind::kConfig, "redis url: bad database number '" + std::string(db) + "'");
    }
    rest = rest.substr(0, slash);
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    if (!ParseInt(rest.substr(colon + 1), ep.port) || ep.port <= 0 || ep.port > 65535) {
      return Fail(ErrorKind::kConfig, "redis url: bad port in '" + std::string(rest) + "'");
    }
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) ep.host = std::string(rest);
  return ep;
}

std::string Describe(const RedisEndpoint& endpoint) {
  if (!endpoint.unix_socket.empty()) return endpoint.unix_socket;
  return endpoint.host + ":" + std::to_string(endpoint.port);
}

}  // namespace raibid
