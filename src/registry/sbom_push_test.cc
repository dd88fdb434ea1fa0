// An image's SBOM pushed beside it to a real docker-registry (which has no referrers API, so the
// tag-schema fallback is what finds it) and read back.
#include "registry/sbom_push.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "process/run_command.h"
#include "registry/digest.h"
#include "registry/registry_test_util.h"
#include "support/oci_registry.h"

namespace raibid {
namespace {

using testing::MakeClient;
using testing::TestConfig;

constexpr const char* kUser = "alice";
constexpr const char* kPassword = "s3cret-pass";

class SbomPushTest : public ::testing::Test {
 protected:
  // A one-layer image under team/app:1.0; returns its manifest digest.
  std::string PushImage() {
    const std::string config =
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
    OciManifest image;
    image.config = {.media_type = "application/vnd.oci.image.config.v1+json",
                    .digest = DigestOf(config).digest,
                    .size = config.size()};
    const BlobSource layer = testing::RandomBlob(dir_, "layer", 1000);
    image.layers.push_back({.media_type = "application/vnd.oci.image.layer.v1.tar",
                            .digest = layer.digest,
                            .size = layer.size});
    EXPECT_TRUE(client_->PushBlob("team/app", BlobSource::FromBytes(config)));
    EXPECT_TRUE(client_->PushBlob("team/app", layer));
    auto digest =
        client_->PushManifest("team/app", "1.0", kOciManifestType, SerializeManifest(image));
    EXPECT_TRUE(digest) << digest.error().message;
    return digest ? *digest : "";
  }
  // The SBOM's document, fetched by the layer the artifact lists.
  nlohmann::json FetchDocument(const OciManifest& sbom) {
    EXPECT_EQ(sbom.layers.size(), 1u);
    const auto path = dir_.path() / "fetched.json";
    auto s = client_->FetchBlob("team/app", sbom.layers.at(0).digest, path);
    EXPECT_TRUE(s) << s.error().message;
    return nlohmann::json::parse(std::ifstream(path));
  }

  testing::OciRegistry registry_{{.username = kUser, .password = kPassword}};
  testing::TempDir dir_;
  std::unique_ptr<RegistryClient> client_ =
      MakeClient(TestConfig(registry_.url(), kUser, kPassword));
};

TEST(SbomTag, IsTheDigestWithADashAndASuffix) {
  EXPECT_EQ(SbomTag("sha256:0123abcd"), "sha256-0123abcd.sbom");
}

TEST_F(SbomPushTest, TheSbomRefersToTheImageAndIsFoundByTheImagesDigest) {
  const std::string image = PushImage();
  testing::WriteFile(dir_.path() / "app.spdx.json", R"({"spdxVersion": "SPDX-2.3"})");
  auto pushed = PushSbom(
      *client_, {.repository = "team/app", .image = "1.0", .sbom = dir_.path() / "app.spdx.json"});
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(pushed->image_digest, image);
  EXPECT_EQ(pushed->tag, SbomTag(image));
  const auto raw = nlohmann::json::parse(registry_.InspectRaw("team/app:" + pushed->tag));
  EXPECT_EQ(raw["artifactType"], "application/spdx+json");
  EXPECT_EQ(raw["subject"]["digest"], image);
  auto found = FindSbom(*client_, "team/app", image);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ(FetchDocument(**found)["spdxVersion"], "SPDX-2.3");
}

TEST_F(SbomPushTest, AnImageWithoutAnSbomHasNone) {
  const std::string image = PushImage();
  auto found = FindSbom(*client_, "team/app", image);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_FALSE(found->has_value());
}

TEST_F(SbomPushTest, AnImageTheRegistryLacksIsAnErrorNamingIt) {
  testing::WriteFile(dir_.path() / "x.json", "{}");
  auto pushed = PushSbom(
      *client_, {.repository = "team/app", .image = "2.0", .sbom = dir_.path() / "x.json"});
  ASSERT_FALSE(pushed);
  EXPECT_NE(pushed.error().message.find("HTTP 404"), std::string::npos) << pushed.error().message;
}

// The whole path the image scripts take: tools/sbom/dpkg-spdx.py reads a dpkg database (this
// machine's root stands in for an image's), raibid-push-sbom pushes the document, and what comes
// back names the image's digest and lists its packages with Debian purls.
TEST_F(SbomPushTest, TheCommandPushesAGeneratedSbomListingThePackages) {
  const std::string image = PushImage();
  const auto sbom = dir_.path() / "host.spdx.json";
  auto made = RunCommand({.argv = {"python3", RAIBID_SOURCE_DIR "/tools/sbom/dpkg-spdx.py",
                                   "--root", "/", "--name", "team/app:1.0", "-o", sbom.string()}});
  ASSERT_TRUE(made && made->ok()) << (made ? made->err : made.error().message);
  testing::WriteFile(dir_.path() / "password", kPassword);
  auto pushed = RunCommand(
      {.argv = {RAIBID_PUSH_SBOM_BINARY, "--registry", registry_.url(), "--insecure",
                "--repository", "team/app", "--image", "1.0", "--sbom", sbom.string(), "--username",
                kUser, "--password-file", (dir_.path() / "password").string()}});
  ASSERT_TRUE(pushed && pushed->ok()) << (pushed ? pushed->err : pushed.error().message);
  EXPECT_EQ(pushed->out.substr(0, image.size()), image) << pushed->out;
  auto found = FindSbom(*client_, "team/app", image);
  ASSERT_TRUE(found && found->has_value());
  const auto doc = FetchDocument(**found);
  EXPECT_EQ(doc["name"], "team/app:1.0");
  const std::string all = doc["packages"].dump();
  EXPECT_NE(all.find("pkg:deb/debian/dpkg@"), std::string::npos);
  EXPECT_NE(all.find("\"OPERATING-SYSTEM\""), std::string::npos);
}

}  // namespace
}  // namespace raibid
