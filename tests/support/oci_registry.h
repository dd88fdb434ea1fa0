// A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8) on a free
// 127.0.0.1 port, plain HTTP, storage and config in a temp directory. Optionally behind htpasswd
// Basic auth (a bcrypt file made with `htpasswd -Bbc`) or token auth (a realm the test serves,
// trusted through a certificate bundle). Started by the constructor, killed by the destructor.
// Throws std::runtime_error, with the registry's log, when it cannot start.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid::testing {

struct OciTokenAuth {
  std::string realm;                       // "http://127.0.0.1:PORT/token"
  std::string service;                     // the `aud` tokens must carry
  std::string issuer;                      // the `iss` tokens must carry
  std::filesystem::path root_cert_bundle;  // PEM certificates signing keys chain to
};

struct OciRegistryOptions {
  std::string username;  // with a password: htpasswd Basic auth
  std::string password;
  std::optional<OciTokenAuth> token;  // token auth instead
};

class OciRegistry {
 public:
  explicit OciRegistry(OciRegistryOptions options = {});
  ~OciRegistry();
  OciRegistry(const OciRegistry&) = delete;
  OciRegistry& operator=(const OciRegistry&) = delete;

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "http://" + host(); }
  const std::filesystem::path& storage() const { return storage_; }

  // Kills the registry; Start() brings it back on the same port with the same storage.
  void Stop();
  void Start();

  // The registry's log so far (level info: every request is logged).
  std::string log() const;
  // How many requests with `method` to a path containing `path_part` the log shows.
  int CountRequests(const std::string& method, const std::string& path_part) const;

  // `skopeo inspect --raw` of "repo:tag" (credentials from the options when set).
  // Throws std::runtime_error with skopeo's stderr on failure.
  std::string InspectRaw(const std::string& repo_tag) const;

 private:
  void WriteConfig() const;
  bool Launch();

  OciRegistryOptions options_;
  TempDir dir_{"raibid-registry"};
  std::filesystem::path storage_;
  int port_ = 0;
  std::unique_ptr<ServerProcess> process_;
};

}  // namespace raibid::testing
