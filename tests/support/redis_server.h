// A real redis-server on a free loopback port with no persistence, for the lifetime of the object.
#pragma once

#include <memory>
#include <string>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid::testing {

class RedisServer {
 public:
  RedisServer();  // throws std::runtime_error if it cannot start
  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // Runs redis-cli against it and returns its stdout, trimmed of the final newline.
  std::string Cli(const std::vector<std::string>& args) const;

 private:
  TempDir dir_{"raibid-redis"};
  int port_ = 0;
  std::unique_ptr<ServerProcess> process_;
};

}  // namespace raibid::testing
