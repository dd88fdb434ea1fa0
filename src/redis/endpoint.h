// Where a Redis server is and how to log in to it, parsed from the `redis.url` setting.
#pragma once

#include <string>
#include <string_view>

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

// Sentinel discovery would add its fields here (sentinel addresses and master name).
struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_socket;  // redis+unix:// or unix://
  std::string username, password;
  int db = 0;
  RedisTls tls;  // tls.enabled for rediss://; the files and names come from the settings
};

// redis://[[user]:password@]host[:port][/db], the same with rediss:// for TLS (tls.enabled),
// unix:///path/to/socket[?db=N]. kConfig error on anything else.
Result<RedisEndpoint> ParseRedisUrl(std::string_view url);

// "host:port" or the socket path, for messages.
std::string Describe(const RedisEndpoint& endpoint);

}  // namespace raibid
