// Where a Redis server is and how to log in to it, parsed from the `redis.url` setting.
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace raibid {

// A TLS transport or Sentinel discovery would add their fields here (CA file, client certificate;
// sentinel addresses and master name), parsed from rediss:// and sentinel URLs by ParseRedisUrl.
struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_socket;  // redis+unix:// or unix://
  std::string username, password;
  int db = 0;
};

// redis://[[user]:password@]host[:port][/db], unix:///path/to/socket[?db=N]. kConfig error on
// anything else (rediss:// names itself: Debian's hiredis has no TLS).
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

// "host:port" or the socket path, for messages.
std::string Describe(const RedisEndpoint& endpoint);

}  // namespace raibid
