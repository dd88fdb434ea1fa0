#include "support/oci_registry.h"

#include <set>
#include <sstream>
#include <stdexcept>

#include "process/run_command.h"

namespace raibid::testing {
namespace {

std::string Run(const std::vector<std::string>& argv, const std::string& what) {
  auto r = RunCommand({.argv = argv, .timeout = std::chrono::seconds(60)});
  if (!r || !r->ok()) {
    throw std::runtime_error(what + " failed: " + (r ? r->err : r.error().message));
  }
  return r->out;
}

}  // namespace

OciRegistry::OciRegistry(OciRegistryOptions options)
    : options_(std::move(options)), storage_(dir_.path() / "storage") {
  if (!options_.username.empty()) {
    Run({"htpasswd", "-Bbc", (dir_.path() / "htpasswd").string(), options_.username,
         options_.password},
        "htpasswd");
  }
  // The free port may be taken between FreePort() and the registry's bind: try a few.
  for (int tries = 0; tries < 5 && !process_; ++tries) {
    port_ = FreePort();
    WriteConfig();
    Launch();
  }
  if (!process_) throw std::runtime_error("docker-registry did not start: " + log());
}

OciRegistry::~OciRegistry() { Stop(); }

void OciRegistry::WriteConfig() const {
  std::ostringstream c;
  c << "version: 0.1\n"
       "log:\n  level: info\n  formatter: text\n  accesslog:\n    disabled: true\n"
       "storage:\n  filesystem:\n    rootdirectory: "
    << storage_.string()
    << "\n  maintenance:\n    uploadpurging:\n      enabled: false\n"
       "http:\n  addr: 127.0.0.1:"
    << port_ << "\n";
  if (options_.token) {
    const auto& t = *options_.token;
    c << "auth:\n  token:\n    realm: " << t.realm << "\n    service: " << t.service
      << "\n    issuer: " << t.issuer << "\n    rootcertbundle: " << t.root_cert_bundle.string()
      << "\n";
  } else if (!options_.username.empty()) {
    c << "auth:\n  htpasswd:\n    realm: raibid-test\n    path: "
      << (dir_.path() / "htpasswd").string() << "\n";
  }
  WriteFile(dir_.path() / "config.yml", c.str());
}

bool OciRegistry::Launch() {
  auto proc = std::make_unique<ServerProcess>(
      std::vector<std::string>{"docker-registry", "serve", (dir_.path() / "config.yml").string()},
      (dir_.path() / "registry.log").string());
  if (!proc->WaitForPort(port_)) return false;
  process_ = std::move(proc);
  return true;
}

void OciRegistry::Stop() { process_.reset(); }

void OciRegistry::Start() {
  for (int tries = 0; tries < 50 && !process_; ++tries) Launch();
  if (!process_) throw std::runtime_error("docker-registry did not restart: " + log());
}

std::string OciRegistry::log() const { return ReadFile(dir_.path() / "registry.log"); }

int OciRegistry::CountRequests(const std::string& method, const std::string& path_part) const {
  // A request may log several lines (an auth warning, then "response completed"): count ids.
  std::istringstream in(log());
  std::set<std::string> ids;
  for (std::string line; std::getline(in, line);) {
    if (line.find("http.request.method=" + method + " ") == std::string::npos) continue;
    const size_t uri = line.find("http.request.uri=");
    if (uri == std::string::npos || line.find(path_part, uri) == std::string::npos) continue;
    const size_t id = line.find("http.request.id=");
    if (id != std::string::npos) ids.insert(line.substr(id, line.find(' ', id) - id));
  }
  return static_cast<int>(ids.size());
}

std::string OciRegistry::InspectRaw(const std::string& repo_tag) const {
  std::vector<std::string> argv = {"skopeo", "inspect", "--raw", "--tls-verify=false"};
  if (!options_.username.empty()) {
    argv.push_back("--creds");
    argv.push_back(options_.username + ":" + options_.password);
  }
  argv.push_back("docker://" + host() + "/" + repo_tag);
  return Run(argv, "skopeo inspect " + repo_tag);
}

}  // namespace raibid::testing
