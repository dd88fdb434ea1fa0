// The layer cache of image builds in steps, kept in the registry itself (docs/deploy.md): a build
// pushes its intermediate layers to a cache repository, and a build on a machine that never built
// anything (fresh image storage, as in a new pod) pulls them back instead of running the steps
// again. Real buildah and podman against a real docker-registry on loopback; the base image is a
// busybox root filesystem pushed there first, so nothing comes from the network.
#include <gtest/gtest.h>

#include "process/run_command.h"
#include "support/image_builder.h"
#include "support/oci_registry.h"
#include "support/podman_service.h"
#include "support/temp_dir.h"

namespace raibid::testing {
namespace {

constexpr const char* kCacheHit = "Using cache";

class LayerCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!BuildahAvailable()) GTEST_SKIP() << "buildah, runc or busybox missing";
    registry_ = std::make_unique<OciRegistry>();
    ImageBuilder(Insecure()).PushBusyboxBase(registry_->host() + "/busybox:base");
    WriteFile(context_.path() / "Containerfile",
              "FROM " + registry_->host() +
                  "/busybox:base\n"
                  "RUN mkdir /out && dd if=/dev/zero of=/out/blob bs=1024 count=512 2>/dev/null\n"
                  "COPY hello.txt /out/hello.txt\n"
                  "RUN cat /out/hello.txt > /out/copy.txt\n");
    WriteFile(context_.path() / "hello.txt", "hello\n");
  }

  std::vector<std::string> Insecure() const { return {registry_->host()}; }
  std::string Repo(const std::string& name) const { return registry_->host() + "/" + name; }

  // A first build in storage of its own, its cache pushed; the storage is gone afterwards.
  void WarmCache() const {
    ImageBuilder first(Insecure());
    const auto output =
        first.BuildWithRegistryCache(context_.path(), Repo("app:1"), Repo("app/cache"));
    ASSERT_EQ(CountOccurrences(output, kCacheHit), 0) << output;
  }

  std::unique_ptr<OciRegistry> registry_;
  TempDir context_{"raibid-context"};
};

TEST_F(LayerCacheTest, BuildInFreshStorageReusesEveryLayerFromTheRegistry) {
  ImageBuilder first(Insecure());
  first.BuildWithRegistryCache(context_.path(), Repo("app:1"), Repo("app/cache"));
  ImageBuilder fresh(Insecure());  // a new pod: no image, no layer
  const auto output =
      fresh.BuildWithRegistryCache(context_.path(), Repo("app:2"), Repo("app/cache"));
  EXPECT_EQ(CountOccurrences(output, "Cache pulled from remote"), 3) << output;
  EXPECT_EQ(CountOccurrences(output, kCacheHit), 3) << output;
  EXPECT_EQ(fresh.DiffIds(Repo("app:2")), first.DiffIds(Repo("app:1")));
}

TEST_F(LayerCacheTest, ChangedFileRebuildsFromItsStepOn) {
  WarmCache();
  WriteFile(context_.path() / "hello.txt", "changed\n");
  ImageBuilder fresh(Insecure());
  const auto output =
      fresh.BuildWithRegistryCache(context_.path(), Repo("app:2"), Repo("app/cache"));
  EXPECT_EQ(CountOccurrences(output, kCacheHit), 1) << output;  // the RUN before the COPY
  EXPECT_NE(output.find("STEP 4/4"), std::string::npos) << output;
}

// The rootless Podman variant: a step's `podman --remote build` through the engine's socket, the
// engine's storage new, takes the same cache.
TEST_F(LayerCacheTest, PodmanRemoteBuildThroughAFreshEngineReusesTheCache) {
  if (!PodmanAvailable()) GTEST_SKIP() << "podman missing";
  WarmCache();
  PodmanService engine({.insecure_registries = Insecure()});
  std::vector<std::string> argv = {"env"};
  for (const auto& e : engine.Env()) argv.push_back(e);
  for (const std::string& a : std::vector<std::string>{
           "podman", "--url", engine.host(), "build", "--layers", "--cache-from", Repo("app/cache"),
           "--cache-to", Repo("app/cache"), "-t", Repo("app:3"), context_.path().string()}) {
    argv.push_back(a);
  }
  auto r = RunCommand({.argv = argv, .timeout = std::chrono::seconds(120)});
  ASSERT_TRUE(r && r->ok()) << (r ? r->out + r->err : r.error().message);
  const auto output = r->out + r->err;
  EXPECT_EQ(CountOccurrences(output, kCacheHit), 3) << output;
}

}  // namespace
}  // namespace raibid::testing
