// A real container engine for tests: `podman system service` serving the Docker Engine API on a
// unix socket of its own, with storage, run state and configuration in a temp directory (runtime
// runc, which works in this sandbox where crun refuses its cgroups, and default ulimits within the
// sandbox's hard limits: nofile 20000, nproc 32768).
// Images are made here without any network: a busybox-static root filesystem imported.
// Started by the constructor (std::runtime_error with the service's log when it cannot start);
// the destructor removes every container it still has and stops it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace raibid::testing {

struct PodmanOptions {
  // Registries (host:port) the engine may reach over plain HTTP (a test's docker-registry).
  std::vector<std::string> insecure_registries;
  // The machine's own image storage (/var/lib/containers) instead of a temp one, so images a
  // benchmark builds once stay for the next run.
  bool machine_storage = false;
};

class PodmanService {
 public:
  explicit PodmanService(PodmanOptions options = {});
  ~PodmanService();
  PodmanService(const PodmanService&) = delete;
  PodmanService& operator=(const PodmanService&) = delete;

  std::filesystem::path socket() const { return dir_.path() / "podman.sock"; }
  std::string host() const { return "unix://" + socket().string(); }  // a DOCKER_HOST value

  // Runs the podman CLI on this service's storage: {"images", "-q"}. Throws on failure.
  std::string Podman(const std::vector<std::string>& args) const;

  // Imports a busybox root filesystem as `reference` ("localhost/busybox:test"): /bin/sh and
  // the usual applets, /etc/passwd with root and `builder` (uid 1000), /tmp, and `marker_file`
  // (path inside the image) holding "image" when not empty.
  void MakeBusyboxImage(const std::string& reference, const std::string& marker_file = "") const;
  // The same with the host's /bin/bash and the libraries it loads added (an image with bash).
  void MakeBashImage(const std::string& reference) const;

  // How many containers this service has, running or not.
  int ContainerCount() const;

  // The environment variables podman CLIs need to share this service's storage and config.
  std::vector<std::string> Env() const;
  // The `--root`/`--runroot`/`--storage-driver` flags of this service's storage.
  std::vector<std::string> StorageFlags() const;

 private:
  void MakeImage(const std::string& reference, const std::string& marker_file, bool bash) const;

  PodmanOptions options_;
  TempDir dir_{"raibid-podman"};
  std::unique_ptr<ServerProcess> process_;
};

// Whether podman and runc are installed here (tests skip with a message otherwise).
// Writes containers.conf (runc, ulimits within the sandbox's hard limits: Podman's defaults fail
// there) and registries.conf (no short-name search; these registries over plain HTTP) into dir,
// for CONTAINERS_CONF and CONTAINERS_REGISTRIES_CONF.
void WriteContainersConfig(const std::filesystem::path& dir,
                           const std::vector<std::string>& insecure_registries);

bool PodmanAvailable();

// The test binary's one service, started on first use, with a busybox image `reference` whose
// /etc/from-image holds "image"; stopped when the binary exits. Null when PodmanAvailable() is
// false.
PodmanService* SharedPodman(const std::string& reference);

}  // namespace raibid::testing
