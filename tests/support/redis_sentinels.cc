#include "support/redis_sentinels.h"

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <thread>

#include "process/run_command.h"

namespace raibid::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Polls `done` every 50 ms until it holds or `timeout` passes.
bool PollUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

std::string SentinelCli(int port, const std::vector<std::string>& args,
                        const std::string& password) {
  CommandSpec spec{.argv = {"redis-cli", "--no-auth-warning", "-p", std::to_string(port)}};
  if (!password.empty()) spec.argv.insert(spec.argv.end(), {"-a", password});
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  auto r = RunCommand(spec);
  return r ? r->out : "";
}

// Debian's redis-sentinel when installed, else the same server binary in sentinel mode.
std::vector<std::string> SentinelArgv(const std::string& conf) {
  auto which = RunCommand({.argv = {"sh", "-c", "command -v redis-sentinel"}});
  if (which && which->exit_code == 0) return {"redis-sentinel", conf};
  return {"redis-server", conf, "--sentinel"};
}

}  // namespace

RedisSentinels::RedisSentinels(int sentinels, std::string password)
    : password_(std::move(password)) {
  master_ = std::make_unique<RedisServer>();
  replica_ = std::make_unique<RedisServer>();
  // Diskless sync waits 5 s by default for more replicas to join; there is one.
  master_->Cli({"CONFIG", "SET", "repl-diskless-sync-delay", "0"});
  replica_->Cli({"REPLICAOF", "127.0.0.1", std::to_string(master_->port())});
  if (!PollUntil(
          [&] {
            return replica_->Cli({"INFO", "replication"}).find("master_link_status:up") !=
                   std::string::npos;
          },
          std::chrono::seconds(20))) {
    throw std::runtime_error("the replica did not sync with its master");
  }
  for (int i = 0; i < sentinels; ++i) {
    const int port = FreePort();
    const auto conf = dir_.path() / ("sentinel-" + std::to_string(port) + ".conf");
    // Sentinel rewrites its configuration file, so it is a file of its own, writable.
    WriteFile(conf, "port " + std::to_string(port) + "\nbind 127.0.0.1\ndir " +
                        dir_.path().string() + "\nsentinel monitor " + kMasterName + " 127.0.0.1 " +
                        std::to_string(master_->port()) + " 1\nsentinel down-after-milliseconds " +
                        kMasterName + " 1000\nsentinel failover-timeout " + kMasterName +
                        " 3000\n" +
                        (password_.empty() ? std::string()
                                           : "requirepass " + password_ +
                                                 "\nsentinel sentinel-pass " + password_ + "\n"));
    auto process = std::make_unique<ServerProcess>(SentinelArgv(conf.string()),
                                                   (dir_.path() / "sentinel.log").string());
    if (!process->WaitForPort(port)) throw std::runtime_error("redis-sentinel did not start");
    ports_.push_back(port);
    sentinels_.push_back(std::move(process));
  }
  // A failover needs sentinels that know the replica (from the master's INFO) and each other
  // (from hello messages every 2 s); until then one would abort it.
  const std::string replica = std::to_string(replica_->port());
  for (int port : ports_) {
    if (!PollUntil(
            [&] {
              const std::string replicas =
                  SentinelCli(port, {"SENTINEL", "replicas", kMasterName}, password_);
              const std::string peers =
                  SentinelCli(port, {"SENTINEL", "sentinels", kMasterName}, password_);
              return replicas.find(replica) != std::string::npos &&
                     std::count(peers.begin(), peers.end(), '\n') >= 2 * (sentinels - 1);
            },
            std::chrono::seconds(30))) {
      throw std::runtime_error("the sentinels did not learn of the replica and each other");
    }
  }
}

RedisSentinels::~RedisSentinels() = default;

std::string RedisSentinels::url() const {
  std::string hosts;
  for (int port : ports_)
    hosts += (hosts.empty() ? "" : ",") + ("127.0.0.1:" + std::to_string(port));
  return "redis+sentinel://" + hosts + "/" + kMasterName;
}

int RedisSentinels::MasterPort() const {
  const std::string out =
      SentinelCli(ports_.front(), {"SENTINEL", "get-master-addr-by-name", kMasterName}, password_);
  const auto newline = out.find('\n');
  if (newline == std::string::npos) return 0;
  return std::atoi(out.c_str() + newline + 1);
}

std::string RedisSentinels::MasterCli(const std::vector<std::string>& args) const {
  RedisServer& current = MasterPort() == replica_->port() ? *replica_ : *master_;
  return current.Cli(args);
}

std::chrono::milliseconds RedisSentinels::KillMasterAndAwaitFailover(
    std::chrono::milliseconds timeout) {
  const int old_port = master_->port();
  const auto start = Clock::now();
  master_->Stop();
  if (!PollUntil([&] { return MasterPort() == replica_->port(); }, timeout)) {
    throw std::runtime_error("the sentinels did not promote the replica of port " +
                             std::to_string(old_port));
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

}  // namespace raibid::testing
