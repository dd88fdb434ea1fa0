#include "support/image_builder.h"

#include <unistd.h>

#include <sstream>
#include <stdexcept>

#include "process/run_command.h"
#include "support/podman_service.h"

namespace raibid::testing {
namespace {

namespace fs = std::filesystem;

std::string RunOrThrow(const std::vector<std::string>& argv, const std::string& what) {
  auto r = RunCommand({.argv = argv, .timeout = std::chrono::seconds(120)});
  if (!r) throw std::runtime_error(what + " failed: " + r.error().message);
  std::string output = r->out + r->err;
  if (!r->ok()) throw std::runtime_error(what + " failed: " + output);
  return output;
}

// A root filesystem of busybox and its applets, as a tar file under `dir`.
fs::path BusyboxRootfs(const fs::path& dir) {
  const auto root = dir / "rootfs";
  fs::create_directories(root / "bin");
  fs::create_directories(root / "tmp");
  fs::copy_file("/bin/busybox", root / "bin/busybox", fs::copy_options::overwrite_existing);
  std::istringstream applets(RunOrThrow({"/bin/busybox", "--list"}, "busybox --list"));
  for (std::string name; std::getline(applets, name);) {
    std::error_code ec;
    if (!name.empty() && name != "busybox") fs::create_symlink("busybox", root / "bin" / name, ec);
  }
  const auto tar = dir / "rootfs.tar";
  RunOrThrow({"tar", "-C", root.string(), "-cf", tar.string(), "."}, "tar");
  return tar;
}

}  // namespace

bool BuildahAvailable() {
  return access("/usr/bin/buildah", X_OK) == 0 && access("/usr/sbin/runc", X_OK) == 0 &&
         access("/bin/busybox", X_OK) == 0;
}

int CountOccurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

ImageBuilder::ImageBuilder(std::vector<std::string> insecure_registries) {
  WriteContainersConfig(dir_.path(), insecure_registries);
}

std::vector<std::string> ImageBuilder::Env() const {
  return {"CONTAINERS_CONF=" + (dir_.path() / "containers.conf").string(),
          "CONTAINERS_REGISTRIES_CONF=" + (dir_.path() / "registries.conf").string()};
}

std::string ImageBuilder::Buildah(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"env"};
  for (const auto& e : Env()) argv.push_back(e);
  for (const std::string& a :
       std::vector<std::string>{"buildah", "--root", (dir_.path() / "root").string(), "--runroot",
                                (dir_.path() / "run").string(), "--storage-driver", "vfs"}) {
    argv.push_back(a);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return RunOrThrow(argv, "buildah " + (args.empty() ? "" : args[0]));
}

std::string ImageBuilder::BuildWithRegistryCache(const fs::path& context, const std::string& tag,
                                                 const std::string& cache_repo) const {
  return Buildah({"build", "--isolation", "chroot", "--layers", "--cache-from", cache_repo,
                  "--cache-to", cache_repo, "-t", tag, context.string()});
}

void ImageBuilder::PushBusyboxBase(const std::string& reference) const {
  TempDir scratch("raibid-busybox");
  const auto tar = BusyboxRootfs(scratch.path());
  std::string container = Buildah({"from", "scratch"});
  container.erase(container.find_last_not_of(" \n") + 1);
  container = container.substr(container.find_last_of('\n') + 1);  // the name is the last line
  Buildah({"add", container, tar.string(), "/"});
  Buildah({"commit", "-q", "--rm", container, reference});
  Buildah({"push", "-q", reference});
}

std::vector<std::string> ImageBuilder::DiffIds(const std::string& image) const {
  std::istringstream words(Buildah({"inspect", "--type", "image", "--format",
                                    "{{range .OCIv1.RootFS.DiffIDs}}{{.}} {{end}}", image}));
  std::vector<std::string> ids;
  for (std::string id; words >> id;) ids.push_back(id);
  return ids;
}

}  // namespace raibid::testing
