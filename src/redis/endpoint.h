// Where a Redis server is and how to log in to it, parsed from the `redis.url` setting.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace raibid {

// TLS to the server (rediss://). The server's certificate is verified against `ca_file` (else the
// system's trust store) and its name against `server_name` (else the URL's host: a DNS name or an
// IP address, matched against the certificate's subjectAltName).
struct RedisTls {
  bool enabled = false;
  std::string ca_file;                // PEM; empty: the system's CAs
  std::string cert_file, key_file;    // a client certificate for mutual TLS; both or neither
  std::string server_name;            // the name verified and sent as SNI; empty: the host
  bool insecure_skip_verify = false;  // no certificate check at all (tests, never production)
};

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
  RedisTls tls;  // tls.enabled for rediss://; the files and names come from the settings
  std::optional<SentinelSettings> sentinel;  // set: host and port are the master's, once found
};

// redis://[[user]:password@]host[:port][/db], the same with rediss:// for TLS (tls.enabled),
// unix:///path/to/socket[?db=N],
// redis+sentinel://[[user]:password@]sentinel[:port][,sentinel[:port]...]/master_name[/db]
// (sentinels default to port 26379; the login is the master's), rediss+sentinel:// for the
// same over TLS (to the sentinels and the master). kConfig error on anything else.
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

// Parses "host:port" (a port is required unless `default_port` is given).
Result<HostPort> ParseHostPort(std::string_view text, int default_port = 0);

// "host:port" or the socket path, for messages; with Sentinel, "master NAME via sentinels
// A, B" and the master's address once found.
std::string Describe(const RedisEndpoint& endpoint);

}  // namespace raibid
