// raibid-push-sbom: pushes an SBOM beside an image already in a registry (registry/sbom_push.h),
// for scripts/builder-images.sh and scripts/image.sh, and for operators' own pipelines.
//
//   raibid-push-sbom --registry URL --repository REPO --image TAG|DIGEST --sbom FILE
//                    [--media-type TYPE] [--username U --password-file F] [--insecure]
//
// Prints "<image digest> <sbom manifest digest> <repository>:<tag>". Exit 1 on a registry
// failure, 2 on a usage error. The password is read from a file, never from the command line.
#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "registry/registry_client.h"
#include "registry/sbom_push.h"

namespace {

constexpr const char* kUsage =
    "usage: raibid-push-sbom --registry URL --repository REPO --image TAG|DIGEST --sbom FILE\n"
    "                        [--media-type TYPE] [--username U --password-file F] [--insecure]\n";

int Usage(const std::string& why) {
  std::fprintf(stderr, "raibid-push-sbom: %s\n%s", why.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> opt;
  bool insecure = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--insecure") {
      insecure = true;
    } else if (arg.starts_with("--") && i + 1 < argc) {
      opt[arg.substr(2)] = argv[++i];
    } else {
      return Usage("unexpected argument '" + arg + "'");
    }
  }
  for (const char* key : {"registry", "repository", "image", "sbom"}) {
    if (opt[key].empty()) return Usage(std::string("--") + key + " is required");
  }
  raibid::RegistryConfig config{
      .url = opt["registry"], .username = opt["username"], .insecure = insecure};
  if (!opt["password-file"].empty()) {
    std::ifstream in(opt["password-file"]);
    if (!in) return Usage("cannot read --password-file " + opt["password-file"]);
    std::getline(in, config.password);
  }
  auto client = raibid::RegistryClient::Create(std::move(config));
  if (!client) return Usage(client.error().message);
  raibid::SbomRequest request{
      .repository = opt["repository"], .image = opt["image"], .sbom = opt["sbom"]};
  if (!opt["media-type"].empty()) request.media_type = opt["media-type"];
  auto pushed = raibid::PushSbom(**client, request);
  if (!pushed) {
    std::fprintf(stderr, "raibid-push-sbom: %s\n", pushed.error().message.c_str());
    return 1;
  }
  std::printf("%s %s %s:%s\n", pushed->image_digest.c_str(), pushed->manifest_digest.c_str(),
              request.repository.c_str(), pushed->tag.c_str());
  return 0;
}
