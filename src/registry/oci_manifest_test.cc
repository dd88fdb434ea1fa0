#include "registry/oci_manifest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "registry/digest.h"

namespace raibid {
namespace {

TEST(OciManifest, EmptyConfigIsTheDigestOfTwoBytes) {
  const Descriptor d = EmptyConfigDescriptor();
  EXPECT_EQ(d.media_type, "application/vnd.oci.empty.v1+json");
  EXPECT_EQ(d.digest, DigestOf("{}").digest);
  EXPECT_EQ(d.size, 2u);
}

TEST(OciManifest, SerializesAnImageSpec11Artifact) {
  OciManifest m{.artifact_type = std::string(kRaibidArtifactType)};
  m.layers.push_back({.media_type = "text/plain",
                      .digest = DigestOf("log").digest,
                      .size = 3,
                      .annotations = {{std::string(kTitleAnnotation), "raibid-build.log"}}});
  m.annotations[std::string(kRevisionAnnotation)] = "abc";
  const auto j = nlohmann::json::parse(SerializeManifest(m));
  EXPECT_EQ(j["schemaVersion"], 2);
  EXPECT_EQ(j["mediaType"], "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(j["artifactType"], "application/vnd.raibid.build.v1");
  EXPECT_EQ(j["config"]["mediaType"], "application/vnd.oci.empty.v1+json");
  EXPECT_EQ(j["config"]["size"], 2);
  EXPECT_EQ(j["layers"][0]["annotations"]["org.opencontainers.image.title"], "raibid-build.log");
  EXPECT_EQ(j["annotations"]["org.opencontainers.image.revision"], "abc");
}

TEST(OciManifest, ParsesWhatItSerializes) {
  OciManifest m{.artifact_type = "application/x"};
  m.layers.push_back({.media_type = "a/b", .digest = DigestOf("1").digest, .size = 1});
  auto back = ParseManifest(SerializeManifest(m));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->artifact_type, "application/x");
  EXPECT_EQ(back->config, m.config);
  EXPECT_EQ(back->layers, m.layers);
}

TEST(OciManifest, ASubjectIsWrittenAndReadBack) {
  OciManifest m{.artifact_type = "application/spdx+json"};
  m.subject = Descriptor{
      .media_type = std::string(kOciManifestType), .digest = DigestOf("image").digest, .size = 5};
  const std::string text = SerializeManifest(m);
  EXPECT_EQ(nlohmann::json::parse(text)["subject"]["digest"], DigestOf("image").digest);
  auto back = ParseManifest(text);
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_TRUE(back->subject.has_value());
  EXPECT_EQ(*back->subject, *m.subject);
  EXPECT_FALSE(ParseManifest(SerializeManifest(OciManifest{}))->subject.has_value());
}

TEST(OciManifest, RefusesWhatIsNotAnImageManifest) {
  EXPECT_FALSE(ParseManifest("not json"));
  EXPECT_FALSE(ParseManifest(
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})"));
  EXPECT_FALSE(ParseManifest(R"({"schemaVersion":1})"));
}

// Found by fuzz/registry_json: a float size was cast to uint64_t (undefined past its range).
TEST(OciManifest, RefusesASizeThatIsNotAWholeNumber) {
  for (const char* size : {"1e300", "1.5", "-1", "\"3\""}) {
    const std::string json = std::string(R"({"schemaVersion":2,"config":{"mediaType":"a/b",)") +
                             R"("digest":"sha256:x","size":)" + size + R"(},"layers":[]})";
    EXPECT_FALSE(ParseManifest(json)) << size;
  }
  EXPECT_FALSE(ParseManifest(R"({"schemaVersion":1e300,"layers":[]})"));
}

}  // namespace
}  // namespace raibid
