#include "support/git_http_server.h"

#include <stdexcept>

#include "process/run_command.h"

namespace raibid::testing {
namespace {

constexpr const char* kBackend = "/usr/lib/git-core/git-http-backend";

// One location per access mode; git-http-backend finds the repository from PATH_INFO under
// GIT_PROJECT_ROOT. GIT_PROTOCOL passes the client's protocol v2 request through.
std::string Location(const std::string& prefix, const std::string& extra,
                     const std::filesystem::path& root, const std::filesystem::path& socket) {
  return "    location ~ ^/" + prefix + "(/.*)$ {\n" + extra +
         "      fastcgi_pass unix:" + socket.string() +
         ";\n"
         "      fastcgi_param SCRIPT_FILENAME " +
         kBackend +
         ";\n"
         "      fastcgi_param GIT_PROJECT_ROOT " +
         root.string() +
         ";\n"
         "      fastcgi_param GIT_HTTP_EXPORT_ALL \"\";\n"
         "      fastcgi_param PATH_INFO $1;\n"
         "      fastcgi_param QUERY_STRING $query_string;\n"
         "      fastcgi_param REQUEST_METHOD $request_method;\n"
         "      fastcgi_param CONTENT_TYPE $content_type;\n"
         "      fastcgi_param CONTENT_LENGTH $content_length;\n"
         "      fastcgi_param REMOTE_USER $remote_user;\n"
         "      fastcgi_param REMOTE_ADDR $remote_addr;\n"
         "      fastcgi_param GIT_PROTOCOL $http_git_protocol;\n"
         "    }\n";
}

void MakeHtpasswd(const std::filesystem::path& file, const std::string& user,
                  const std::string& pw) {
  CommandSpec spec;
  spec.argv = {"htpasswd", "-bc", file.string(), user, pw};
  auto r = RunCommand(spec);
  if (!r || !r->ok()) {
    throw std::runtime_error("htpasswd failed: " + (r ? r->err : r.error().message));
  }
}

}  // namespace

GitHttpServer::GitHttpServer(std::filesystem::path project_root, std::string username,
                             std::string password)
    : project_root_(std::move(project_root)) {
  const auto d = dir_.path();
  MakeHtpasswd(d / "htpasswd", username, password);
  auto socket = d / "fcgiwrap.sock";
  fcgiwrap_ = std::make_unique<ServerProcess>(
      std::vector<std::string>{"/usr/sbin/fcgiwrap", "-c", "4", "-s", "unix:" + socket.string()},
      (d / "fcgiwrap.log").string());
  if (!WaitFor([&] { return std::filesystem::exists(socket); })) {
    throw std::runtime_error("fcgiwrap did not create " + socket.string() + ": " +
                             ReadFile(d / "fcgiwrap.log"));
  }
  // The free port may be taken between FreePort() and nginx's bind: try a few.
  for (int tries = 0; tries < 5; ++tries) {
    port_ = FreePort();
    WriteConfig();
    if (StartNginx()) return;
  }
  throw std::runtime_error("nginx did not start: " + ReadFile(d / "error.log"));
}

GitHttpServer::~GitHttpServer() {
  nginx_.reset();
  fcgiwrap_.reset();
}

void GitHttpServer::WriteConfig() {
  const auto d = dir_.path();
  const auto socket = d / "fcgiwrap.sock";
  std::string temp;
  for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    temp +=
        "  " + std::string(t) + "_temp_path " + (d / (std::string(t) + "_temp")).string() + ";\n";
  }
  std::string auth =
      "      auth_basic \"git\";\n      auth_basic_user_file " + (d / "htpasswd").string() + ";\n";
  // `user root;`: fcgiwrap's socket belongs to root, nginx's workers must be able to reach it.
  WriteFile(d / "nginx.conf",
            "daemon off;\nmaster_process on;\nworker_processes 1;\nuser root;\n"
            "pid " +
                (d / "nginx.pid").string() +
                ";\n"
                "error_log " +
                (d / "error.log").string() +
                " info;\n"
                "events { worker_connections 128; }\n"
                "http {\n"
                "  access_log " +
                (d / "access.log").string() + ";\n" + temp +
                "  server {\n"
                "    listen 127.0.0.1:" +
                std::to_string(port_) +
                ";\n"
                "    client_max_body_size 0;\n" +
                Location("auth", auth, project_root_, socket) +
                Location("anon", "", project_root_, socket) + "  }\n}\n");
}

bool GitHttpServer::StartNginx() {
  const auto d = dir_.path();
  nginx_ = std::make_unique<ServerProcess>(
      std::vector<std::string>{"/usr/sbin/nginx", "-p", d.string(), "-e",
                               (d / "error.log").string(), "-c", (d / "nginx.conf").string()},
      (d / "nginx.out").string());
  if (nginx_->WaitForPort(port_)) return true;
  nginx_.reset();
  return false;
}

std::string GitHttpServer::auth_base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/auth";
}

std::string GitHttpServer::anon_base_url() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/anon";
}

std::string GitHttpServer::access_log() const { return ReadFile(dir_.path() / "access.log"); }

}  // namespace raibid::testing
