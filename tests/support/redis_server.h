// A real redis-server on a free loopback port with no persistence, for the lifetime of the object.
#pragma once

#include <memory>
#include <string>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid::testing {

class RedisServer {
 public:
  // Throws std::runtime_error if it cannot start. `persistent`: an append-only file synced on
  // every write, so Restart() keeps the data.
  explicit RedisServer(bool persistent = false);
  // Kills the server (SIGKILL) and starts it again on the same port and directory.
  void Restart();
  void Stop();
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // Runs redis-cli against it and returns its stdout, trimmed of the final newline.
  std::string Cli(const std::vector<std::string>& args) const;

 private:
  TempDir dir_{"raibid-redis"};
  bool Start();
  int port_ = 0;
  bool persistent_ = false;
  std::unique_ptr<ServerProcess> process_;
};

}  // namespace raibid::testing
