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

// The part of a redis+sentinel:// URL after the login: sentinels, master name, database.
Result<RedisEndpoint> ParseSentinelUrl(std::string_view rest, RedisEndpoint ep,
                                       std::string_view url) {
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size()) {
    return Fail(ErrorKind::kConfig, "redis url '" + std::string(url) +
                                        "': expected redis+sentinel://sentinel[:port][,...]/"
                                        "master_name[/db]");
  }
  SentinelSettings sentinel;
  std::string_view hosts = rest.substr(0, slash), path = rest.substr(slash + 1);
  while (!hosts.empty()) {
    const auto comma = hosts.find(',');
    auto hp = ParseHostPort(hosts.substr(0, comma), 26379);
    if (!hp) return std::unexpected(hp.error());
    sentinel.addresses.push_back(std::move(*hp));
    hosts = comma == std::string_view::npos ? std::string_view() : hosts.substr(comma + 1);
  }
  if (const auto db_slash = path.find('/'); db_slash != std::string_view::npos) {
    if (!ParseInt(path.substr(db_slash + 1), ep.db)) {
      return Fail(ErrorKind::kConfig,
                  "redis url: bad database number in '" + std::string(url) + "'");
    }
    path = path.substr(0, db_slash);
  }
  sentinel.master_name = std::string(path);
  if (sentinel.addresses.empty() || sentinel.master_name.empty()) {
    return Fail(ErrorKind::kConfig, "redis url '" + std::string(url) +
                                        "': needs at least one sentinel and a master name");
  }
  ep.sentinel = std::move(sentinel);
  ep.host.clear();  // the master's address is asked of the sentinels on each connect
  ep.port = 0;
  return ep;
}

// Splits "[user]:password@" off the front of `rest` into `ep`.
std::string_view TakeLogin(std::string_view rest, RedisEndpoint& ep) {
  const auto at = rest.rfind('@');
  if (at == std::string_view::npos) return rest;
  const auto cred = rest.substr(0, at);
  const auto colon = cred.find(':');
  if (colon == std::string_view::npos) {
    ep.password = std::string(cred);
  } else {
    ep.username = std::string(cred.substr(0, colon));
    ep.password = std::string(cred.substr(colon + 1));
  }
  return rest.substr(at + 1);
}

}  // namespace

Result<HostPort> ParseHostPort(std::string_view text, int default_port) {
  HostPort hp{.host = std::string(text), .port = default_port};
  if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    hp.host = std::string(text.substr(0, colon));
    if (!ParseInt(text.substr(colon + 1), hp.port)) hp.port = -1;
  }
  if (hp.host.empty() || hp.port <= 0 || hp.port > 65535) {
    return Fail(ErrorKind::kConfig, "'" + std::string(text) + "': expected HOST:PORT");
  }
  return hp;
}

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kRedis = "redis://", kRediss = "rediss://", kUnix = "unix://",
                             kRedisUnix = "redis+unix://";
  if (url.starts_with(kUnix)) return ParseUnixUrl(url.substr(kUnix.size()), url);
  if (url.starts_with(kRedisUnix)) return ParseUnixUrl(url.substr(kRedisUnix.size()), url);
  for (const std::string_view sentinel_scheme : {"redis+sentinel://", "rediss+sentinel://"}) {
    if (!url.starts_with(sentinel_scheme)) continue;
    RedisEndpoint ep;
    ep.tls.enabled = sentinel_scheme.starts_with("rediss");
    const auto rest = TakeLogin(url.substr(sentinel_scheme.size()), ep);
    return ParseSentinelUrl(rest, std::move(ep), url);
  }
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
                    "': expected redis://host:port[/db], rediss://host:port[/db], "
                    "redis+sentinel://sentinel[:port][,...]/master_name or "
                    "unix:///path");
  }
  rest = TakeLogin(rest, ep);
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
  std::string address = endpoint.host + ":" + std::to_string(endpoint.port);
  if (!endpoint.sentinel) return address;
  std::string text = "master " + endpoint.sentinel->master_name + " via sentinels ";
  for (size_t i = 0; i < endpoint.sentinel->addresses.size(); ++i) {
    const auto& s = endpoint.sentinel->addresses[i];
    text += (i ? ", " : "") + s.host + ":" + std::to_string(s.port);
  }
  return endpoint.host.empty() ? text : text + " (at " + address + ")";
}

}  // namespace raibid
