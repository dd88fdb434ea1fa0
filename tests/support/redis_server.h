// A real redis-server on a free loopback port with no persistence, for the lifetime of the object;
// plain TCP, or TLS only (redis-server --tls-port with --port 0).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid::testing {

// The files of a TLS server (support/test_pki.h makes them). redis-cli uses the client
// certificate, which the server demands when `require_client_cert`.
struct RedisTlsFiles {
  std::filesystem::path ca, cert, key;
  std::filesystem::path client_cert, client_key;
  bool require_client_cert = false;
};

class RedisServer {
 public:
  // Throws std::runtime_error if it cannot start. `persistent`: an append-only file synced on
  // every write, so Restart() keeps the data. With `tls` it serves TLS only.
  explicit RedisServer(bool persistent = false, std::optional<RedisTlsFiles> tls = std::nullopt);
  // Kills the server (SIGKILL) and starts it again on the same port and directory.
  void Restart();
  void Stop();
  int port() const { return port_; }
  // redis:// or, serving TLS, rediss://127.0.0.1:PORT.
  std::string url() const {
    return (tls_ ? "rediss://127.0.0.1:" : "redis://127.0.0.1:") + std::to_string(port_);
  }
  // Runs redis-cli against it and returns its stdout, trimmed of the final newline.
  std::string Cli(const std::vector<std::string>& args) const;

 private:
  TempDir dir_{"raibid-redis"};
  bool Start();
  int port_ = 0;
  bool persistent_ = false;
  std::optional<RedisTlsFiles> tls_;
  std::unique_ptr<ServerProcess> process_;
};

}  // namespace raibid::testing
