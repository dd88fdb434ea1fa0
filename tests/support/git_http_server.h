// A real smart-HTTP git server, served the way Gitea serves clones: nginx in front of fcgiwrap
// running /usr/lib/git-core/git-http-backend, on a free 127.0.0.1 port, everything (config,
// sockets, logs, temp paths) in a temp directory. Started by the constructor, stopped (both
// process groups killed) by the destructor. Throws std::runtime_error, with nginx's error log,
// if it cannot start.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid::testing {

class GitHttpServer {
 public:
  // Serves every repository under `project_root`: at /auth/<path> behind HTTP basic auth for
  // `username`:`password`, and at /anon/<path> to anyone.
  GitHttpServer(std::filesystem::path project_root, std::string username, std::string password);
  ~GitHttpServer();
  GitHttpServer(const GitHttpServer&) = delete;
  GitHttpServer& operator=(const GitHttpServer&) = delete;

  int port() const { return port_; }
  std::string auth_base_url() const;  // "http://127.0.0.1:PORT/auth"
  std::string anon_base_url() const;  // "http://127.0.0.1:PORT/anon"
  // nginx's access log so far (tests count requests with it).
  std::string access_log() const;

 private:
  void WriteConfig();
  bool StartNginx();

  TempDir dir_{"raibid-githttp"};
  std::filesystem::path project_root_;
  int port_ = 0;
  std::unique_ptr<ServerProcess> fcgiwrap_;
  std::unique_ptr<ServerProcess> nginx_;
};

}  // namespace raibid::testing
