// Where a Redis server is and how to log in to it, parsed from the `redis.url` setting.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace raibid {

struct HostPort {
  std::string host;
  int port = 0;
  bool operator==(const HostPort&) const = default;
};

// A master found through Redis Sentinel: the sentinels are asked for the address of the master
// named `master_name` on every connect, so a failover is followed by reconnecting.
struct SentinelSettings {
  std::vector<HostPort> addresses;  // the sentinels, asked in order
  std::string master_name;
  std::string username, password;  // the sentinels' own login (not the master's); may be empty
};

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_socket;  // redis+unix:// or unix://
  std::string username, password;
  int db = 0;
  std::optional<SentinelSettings> sentinel;  // set: host and port are the master's, once found
};

// redis://[[user]:password@]host[:port][/db], unix:///path/to/socket[?db=N],
// redis+sentinel://[[user]:password@]sentinel[:port][,sentinel[:port]...]/master_name[/db]
// (sentinels default to port 26379; the login is the master's). kConfig error on anything else
// (rediss:// names itself: Debian's hiredis has no TLS).
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

// Parses "host:port" (a port is required unless `default_port` is given).
Result<HostPort> ParseHostPort(std::string_view text, int default_port = 0);

// "host:port" or the socket path, for messages; with Sentinel, "master NAME via sentinels
// A, B" and the master's address once found.
std::string Describe(const RedisEndpoint& endpoint);

}  // namespace raibid
