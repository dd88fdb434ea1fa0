#include "support/redis_server.h"

#include <stdexcept>

#include "process/run_command.h"

namespace raibid::testing {

RedisServer::RedisServer(bool persistent, std::optional<RedisTlsFiles> tls)
    : persistent_(persistent), tls_(std::move(tls)) {
  for (int attempt = 0; attempt < 5 && !process_; ++attempt) {
    port_ = FreePort();
    Start();
  }
  if (!process_) throw std::runtime_error("redis-server did not start");
}

bool RedisServer::Start() {
  std::vector<std::string> argv = {"redis-server",
                                   "--port",
                                   tls_ ? "0" : std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   persistent_ ? "yes" : "no",
                                   "--appendfsync",
                                   "always",
                                   "--dir",
                                   dir_.path().string()};
  if (tls_) {
    argv.insert(argv.end(),
                {"--tls-port", std::to_string(port_), "--tls-cert-file", tls_->cert.string(),
                 "--tls-key-file", tls_->key.string(), "--tls-ca-cert-file", tls_->ca.string(),
                 "--tls-auth-clients", tls_->require_client_cert ? "yes" : "no"});
  }
  auto proc = std::make_unique<ServerProcess>(argv, (dir_.path() / "redis.log").string());
  if (!proc->WaitForPort(port_)) return false;
  process_ = std::move(proc);
  return true;
}

void RedisServer::Stop() { process_.reset(); }

void RedisServer::Restart() {
  Stop();
  for (int attempt = 0; attempt < 50 && !process_; ++attempt) Start();
  if (!process_) throw std::runtime_error("redis-server did not restart");
}

std::string RedisServer::Cli(const std::vector<std::string>& args) const {
  CommandSpec spec{.argv = {"redis-cli", "-p", std::to_string(port_)}};
  if (tls_) {
    spec.argv.insert(spec.argv.end(), {"--tls", "--cacert", tls_->ca.string()});
    if (!tls_->client_cert.empty()) {
      spec.argv.insert(spec.argv.end(),
                       {"--cert", tls_->client_cert.string(), "--key", tls_->client_key.string()});
    }
  }
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  auto r = RunCommand(spec);
  if (!r) return "";
  std::string out = r->out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace raibid::testing
