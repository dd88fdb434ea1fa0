// RegistryClient against a real docker-registry with htpasswd Basic auth.
#include "registry/registry_client.h"

#include <gtest/gtest.h>

#include "registry/digest.h"
#include "registry/oci_manifest.h"
#include "registry/registry_test_util.h"
#include "support/oci_registry.h"

namespace raibid {
namespace {

using testing::MakeClient;
using testing::RandomBlob;
using testing::TestConfig;

constexpr const char* kUser = "alice";
constexpr const char* kPassword = "s3cret-pass";

class RegistryClientTest : public ::testing::Test {
 protected:
  testing::OciRegistry registry_{{.username = kUser, .password = kPassword}};
  testing::TempDir dir_;
  std::unique_ptr<RegistryClient> client_ =
      MakeClient(TestConfig(registry_.url(), kUser, kPassword));
};

TEST_F(RegistryClientTest, PingAnswersTheBasicChallenge) {
  auto s = client_->Ping();
  EXPECT_TRUE(s) << s.error().message;
}

TEST_F(RegistryClientTest, WrongPasswordIsFinalAndNamesRegistryAndStatus) {
  auto bad = MakeClient(TestConfig(registry_.url(), kUser, "wrong-password"));
  auto s = bad->PushBlob("team/app", BlobSource::FromBytes("x"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kInfrastructure);
  EXPECT_FALSE(s.error().retryable);
  EXPECT_NE(s.error().message.find(registry_.host()), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("HTTP 401"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("alice"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find("wrong-password"), std::string::npos);
  // One unauthenticated try and one with the credentials: no retry storm.
  EXPECT_EQ(registry_.CountRequests("HEAD", "/v2/team/app/blobs/"), 2);
}

TEST_F(RegistryClientTest, MissingCredentialsAreNamedAsTheProblem) {
  auto anon = MakeClient(TestConfig(registry_.url()));
  auto s = anon->Ping();
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("requires credentials"), std::string::npos) << s.error().message;
}

TEST_F(RegistryClientTest, SmallBlobGoesUpInOnePutAndComesBackByteForByte) {
  const BlobSource blob = RandomBlob(dir_, "small", 100 << 10);
  auto pushed = client_->PushBlob("team/app", blob);
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(*pushed, BlobOutcome::kUploaded);
  EXPECT_EQ(registry_.CountRequests("PATCH", "/blobs/uploads/"), 0);
  EXPECT_EQ(registry_.CountRequests("PUT", "/blobs/uploads/"), 1);
  auto fetched = client_->FetchBlob("team/app", blob.digest, dir_.path() / "back");
  ASSERT_TRUE(fetched) << fetched.error().message;
  EXPECT_EQ(testing::ReadFile(dir_.path() / "back"), testing::ReadFile(blob.file));
}

TEST_F(RegistryClientTest, ExistingBlobIsNotUploadedAgain) {
  const BlobSource blob = RandomBlob(dir_, "b", 10 << 10);
  ASSERT_EQ(client_->PushBlob("team/app", blob).value(), BlobOutcome::kUploaded);
  auto again = client_->PushBlob("team/app", blob);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(*again, BlobOutcome::kExisted);
  EXPECT_EQ(registry_.CountRequests("POST", "/blobs/uploads/"), 1);
}

TEST_F(RegistryClientTest, LargeBlobGoesUpInChunksOfTheConfiguredSize) {
  auto config = TestConfig(registry_.url(), kUser, kPassword);
  config.chunk_size = 64 << 10;
  auto chunked = MakeClient(config);
  const BlobSource blob = RandomBlob(dir_, "large", (200 << 10) + 7);
  auto pushed = chunked->PushBlob("team/app", blob);
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(registry_.CountRequests("PATCH", "/blobs/uploads/"), 4);
  ASSERT_TRUE(chunked->FetchBlob("team/app", blob.digest, dir_.path() / "back"));
  EXPECT_EQ(testing::ReadFile(dir_.path() / "back"), testing::ReadFile(blob.file));
}

TEST_F(RegistryClientTest, BlobElsewhereInTheRegistryIsMountedNotUploaded) {
  const BlobSource blob = RandomBlob(dir_, "m", 50 << 10);
  ASSERT_TRUE(client_->PushBlob("team/base", blob));
  auto mounted = client_->PushBlob("team/fork", blob, "team/base");
  ASSERT_TRUE(mounted) << mounted.error().message;
  EXPECT_EQ(*mounted, BlobOutcome::kMounted);
  EXPECT_EQ(registry_.CountRequests("PUT", "/v2/team/fork/blobs/uploads/"), 0);
  EXPECT_TRUE(client_->HasBlob("team/fork", blob.digest).value());
}

TEST_F(RegistryClientTest, ManifestIsStoredWithItsMediaTypeAndReadBack) {
  const BlobSource layer = RandomBlob(dir_, "layer", 1000);
  ASSERT_TRUE(client_->PushBlob("team/app", BlobSource::FromBytes("{}")));
  ASSERT_TRUE(client_->PushBlob("team/app", layer));
  OciManifest m{.artifact_type = "application/vnd.raibid.test.v1"};
  m.layers.push_back({.media_type = "application/octet-stream",
                      .digest = layer.digest,
                      .size = layer.size,
                      .annotations = {{"org.opencontainers.image.title", "f"}}});
  const std::string bytes = SerializeManifest(m);
  auto digest = client_->PushManifest("team/app", "v1", kOciManifestType, bytes);
  ASSERT_TRUE(digest) << digest.error().message;
  auto by_tag = client_->FetchManifest("team/app", "v1");
  ASSERT_TRUE(by_tag) << by_tag.error().message;
  EXPECT_EQ(by_tag->bytes, bytes);
  EXPECT_EQ(by_tag->media_type, kOciManifestType);
  EXPECT_EQ(client_->FetchManifest("team/app", *digest).value().bytes, bytes);
  EXPECT_EQ(registry_.InspectRaw("team/app:v1"), bytes);
}

TEST_F(RegistryClientTest, AManifestJustPastTheBodyLimitIsAnErrorNamingIt) {
  ASSERT_TRUE(client_->PushBlob("team/app", BlobSource::FromBytes("{}")));
  OciManifest m{.artifact_type = "application/vnd.raibid.test.v1"};
  const std::string bytes = SerializeManifest(m);
  ASSERT_TRUE(client_->PushManifest("team/app", "v1", kOciManifestType, bytes));
  auto config = TestConfig(registry_.url(), kUser, kPassword);
  config.body_limit = bytes.size();
  EXPECT_TRUE(MakeClient(config)->FetchManifest("team/app", "v1"));
  config.body_limit = bytes.size() - 1;
  auto fetched = MakeClient(config)->FetchManifest("team/app", "v1");
  ASSERT_FALSE(fetched);
  EXPECT_EQ(fetched.error().message, "registry " + registry_.host() +
                                         ": GET manifest team/app:v1: the answer is over "
                                         "agent.limits.http_response_bytes (" +
                                         std::to_string(bytes.size() - 1) + " bytes)");
}

TEST_F(RegistryClientTest, AMissingManifestIsNulloptForFindAndAnErrorForFetch) {
  ASSERT_TRUE(client_->PushBlob("team/app", BlobSource::FromBytes("{}")));
  auto found = client_->FindManifest("team/app", "never-pushed");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_FALSE(*found);
  auto fetched = client_->FetchManifest("team/app", "never-pushed");
  ASSERT_FALSE(fetched);
  EXPECT_NE(fetched.error().message.find("404"), std::string::npos) << fetched.error().message;
}

TEST_F(RegistryClientTest, UnknownBlobIsAClearError) {
  auto s = client_->FetchBlob("team/app", DigestOf("nothing").digest, dir_.path() / "x");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("HTTP 404"), std::string::npos) << s.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "x"));
}

TEST_F(RegistryClientTest, RegistryDownIsRetriedThenARetryableFailure) {
  const std::string url = "http://127.0.0.1:" + std::to_string(testing::FreePort());
  int notices = 0;
  auto down = MakeClient(TestConfig(url, kUser, kPassword),
                         {.notice = [&](std::string_view) { ++notices; }});
  auto s = down->PushBlob("team/app", BlobSource::FromBytes("x"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kInfrastructure);
  EXPECT_TRUE(s.error().retryable);
  EXPECT_NE(s.error().message.find(url.substr(7)), std::string::npos) << s.error().message;
  EXPECT_EQ(notices, 3);  // max_retries
}

TEST_F(RegistryClientTest, RegistryBackWithinTheRetriesIsUsed) {
  registry_.Stop();
  auto client = MakeClient(TestConfig(registry_.url(), kUser, kPassword),
                           {.notice = [&](std::string_view) { registry_.Start(); }});
  auto s = client->PushBlob("team/app", BlobSource::FromBytes("back"));
  EXPECT_TRUE(s) << s.error().message;
}

TEST(RegistryClientConfig, PlainHttpNeedsInsecure) {
  auto c = RegistryClient::Create({.url = "http://127.0.0.1:5000"});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().kind, ErrorKind::kConfig);
  EXPECT_NE(c.error().message.find("insecure"), std::string::npos);
  EXPECT_FALSE(RegistryClient::Create({.url = "https://host/path"}));
  EXPECT_TRUE(RegistryClient::Create({.url = "https://gitea.example.com"}));
}

}  // namespace
}  // namespace raibid
