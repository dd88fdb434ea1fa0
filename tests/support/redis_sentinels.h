// A Redis master, one replica and sentinels watching them, all real servers on free loopback
// ports for the lifetime of the object: what a self-hosted production Redis with failover is.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/redis_server.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid::testing {

class RedisSentinels {
 public:
  static constexpr const char* kMasterName = "raibid-master";
  // Throws std::runtime_error when a server does not start or the replica does not sync.
  // `password`: the sentinels' own (requirepass), empty for none.
  explicit RedisSentinels(int sentinels = 2, std::string password = "");
  ~RedisSentinels();

  // redis+sentinel://127.0.0.1:S1,127.0.0.1:S2/raibid-master
  std::string url() const;
  // The port the sentinels name as the master's now.
  int MasterPort() const;
  // Runs redis-cli against whichever server is the master now.
  std::string MasterCli(const std::vector<std::string>& args) const;
  RedisServer& master() { return *master_; }
  RedisServer& replica() { return *replica_; }
  // Kills the master (SIGKILL) and returns once the sentinels name the replica instead, or
  // throws after `timeout`. The time that took is Sentinel's own failover time.
  std::chrono::milliseconds KillMasterAndAwaitFailover(
      std::chrono::milliseconds timeout = std::chrono::seconds(60));

 private:
  TempDir dir_{"raibid-sentinel"};
  std::unique_ptr<RedisServer> master_, replica_;
  std::vector<int> ports_;
  std::string password_;
  std::vector<std::unique_ptr<ServerProcess>> sentinels_;
};

}  // namespace raibid::testing
