#include "support/podman_service.h"

#include <unistd.h>

#include <set>
#include <sstream>
#include <stdexcept>

#include "process/run_command.h"

namespace raibid::testing {
namespace {

std::string Run(const std::vector<std::string>& argv, const std::string& what,
                std::chrono::seconds timeout = std::chrono::seconds(120)) {
  auto r = RunCommand({.argv = argv, .timeout = timeout});
  if (!r || !r->ok()) {
    throw std::runtime_error(what + " failed: " + (r ? r->err + r->out : r.error().message));
  }
  return r->out;
}

}  // namespace

bool PodmanAvailable() {
  return access("/usr/bin/podman", X_OK) == 0 && access("/usr/sbin/runc", X_OK) == 0 &&
         access("/bin/busybox", X_OK) == 0;
}

std::vector<std::string> PodmanService::Env() const {
  return {"CONTAINERS_CONF=" + (dir_.path() / "containers.conf").string(),
          "CONTAINERS_REGISTRIES_CONF=" + (dir_.path() / "registries.conf").string()};
}

std::vector<std::string> PodmanService::StorageFlags() const {
  if (options_.machine_storage) return {"--cgroup-manager", "cgroupfs", "--events-backend", "file"};
  return {"--root",           (dir_.path() / "root").string(),
          "--runroot",        (dir_.path() / "run").string(),
          "--storage-driver", "overlay",
          "--cgroup-manager", "cgroupfs",
          "--events-backend", "file"};
}

void WriteContainersConfig(const std::filesystem::path& dir,
                           const std::vector<std::string>& insecure_registries) {
  WriteFile(dir / "containers.conf",
            "[containers]\n"
            "default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n"
            "[engine]\n"
            "runtime = \"runc\"\n");
  std::ostringstream reg;
  reg << "unqualified-search-registries = []\n";
  for (const auto& r : insecure_registries) {
    reg << "[[registry]]\nlocation = \"" << r << "\"\ninsecure = true\n";
  }
  WriteFile(dir / "registries.conf", reg.str());
}

PodmanService::PodmanService(PodmanOptions options) : options_(std::move(options)) {
  WriteContainersConfig(dir_.path(), options_.insecure_registries);
  std::vector<std::string> argv = {"env"};
  for (const auto& e : Env()) argv.push_back(e);
  argv.push_back("podman");
  for (const auto& f : StorageFlags()) argv.push_back(f);
  for (const char* a : {"system", "service", "--time=0"}) argv.push_back(a);
  argv.push_back(host());
  process_ = std::make_unique<ServerProcess>(argv, (dir_.path() / "service.log").string());
  const bool up = WaitFor([&] { return std::filesystem::exists(socket()) || !process_->alive(); },
                          std::chrono::seconds(30));
  if (!up || !process_->alive()) {
    throw std::runtime_error("podman system service did not start: " +
                             ReadFile(dir_.path() / "service.log"));
  }
}

PodmanService::~PodmanService() {
  try {
    if (!options_.machine_storage) Podman({"rm", "--all", "--force", "--time", "0"});
  } catch (const std::exception&) {
  }
  process_.reset();
}

std::string PodmanService::Podman(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"env"};
  for (const auto& e : Env()) argv.push_back(e);
  argv.push_back("podman");
  for (const auto& f : StorageFlags()) argv.push_back(f);
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, "podman " + (args.empty() ? "" : args[0]));
}

namespace {

// /bin/bash and what `ldd` says it loads, at the same paths under `fs`.
void CopyBash(const std::filesystem::path& fs) {
  std::vector<std::string> files = {"/bin/bash"};
  std::istringstream ldd(Run({"ldd", "/bin/bash"}, "ldd"));
  for (std::string word; ldd >> word;) {
    if (word.starts_with("/")) files.push_back(word);
  }
  for (const auto& file : files) {
    std::filesystem::create_directories(fs /
                                        std::filesystem::path(file).parent_path().relative_path());
    std::filesystem::copy_file(file, fs / std::filesystem::path(file).relative_path(),
                               std::filesystem::copy_options::overwrite_existing);
  }
}

}  // namespace

void PodmanService::MakeBashImage(const std::string& reference) const {
  MakeImage(reference, "", true);
}

void PodmanService::MakeBusyboxImage(const std::string& reference,
                                     const std::string& marker_file) const {
  MakeImage(reference, marker_file, false);
}

void PodmanService::MakeImage(const std::string& reference, const std::string& marker_file,
                              bool bash) const {
  TempDir root("raibid-rootfs");
  const auto fs = root.path() / "fs";
  for (const char* d : {"bin", "etc", "tmp", "root", "home/builder", "proc", "sys", "dev"}) {
    std::filesystem::create_directories(fs / d);
  }
  std::filesystem::permissions(fs / "tmp",
                               std::filesystem::perms::all | std::filesystem::perms::sticky_bit);
  std::filesystem::copy_file("/bin/busybox", fs / "bin/busybox");
  std::istringstream applets(Run({"/bin/busybox", "--list"}, "busybox --list"));
  for (std::string name; std::getline(applets, name);) {
    if (!name.empty() && name != "busybox" && name.find('/') == std::string::npos) {
      std::error_code ec;
      std::filesystem::create_symlink("busybox", fs / "bin" / name, ec);
    }
  }
  WriteFile(fs / "etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\nbuilder:x:1000:1000:builder:/home/builder:/bin/sh\n");
  WriteFile(fs / "etc/group", "root:x:0:\nbuilder:x:1000:\n");
  if (!marker_file.empty()) WriteFile(fs / marker_file.substr(marker_file[0] == '/'), "image\n");
  if (bash) CopyBash(fs);
  if (chown((fs / "home/builder").c_str(), 1000, 1000) != 0) {
    throw std::runtime_error("chown home/builder failed");
  }
  const auto tar = root.path() / "rootfs.tar";
  Run({"tar", "-C", fs.string(), "-cf", tar.string(), "."}, "tar");
  Podman({"import", tar.string(), reference});
}

PodmanService* SharedPodman(const std::string& reference) {
  static std::unique_ptr<PodmanService> service;
  static std::set<std::string> images;
  if (!PodmanAvailable()) return nullptr;
  if (!service) service = std::make_unique<PodmanService>();
  if (images.insert(reference).second) service->MakeBusyboxImage(reference, "/etc/from-image");
  return service.get();
}

int PodmanService::ContainerCount() const {
  std::istringstream ids(Podman({"ps", "--all", "--quiet"}));
  int n = 0;
  for (std::string line; std::getline(ids, line);) n += !line.empty();
  return n;
}

}  // namespace raibid::testing
