// Uploads through a fault-injecting proxy in front of a real docker-registry: failed chunks,
// lost upload sessions, 429/503 answers, and relative Location headers.
#include "registry/blob_upload.h"

#include <gtest/gtest.h>

#include "registry/fault_proxy_test_util.h"
#include "registry/registry_test_util.h"
#include "support/oci_registry.h"

namespace raibid {
namespace {

using testing::Fault;
using testing::MakeClient;
using testing::RandomBlob;
using testing::TestConfig;

class BlobUploadTest : public ::testing::Test {
 protected:
  std::unique_ptr<RegistryClient> Client(size_t chunk_size = 64 << 10) {
    auto config = TestConfig(proxy_.url());
    config.chunk_size = chunk_size;
    return MakeClient(config, {.notice = [this](std::string_view n) { notices_.emplace_back(n); }});
  }
  void ExpectStored(RegistryClient& client, const BlobSource& blob) {
    ASSERT_TRUE(client.FetchBlob("team/app", blob.digest, dir_.path() / "back"));
    EXPECT_EQ(testing::ReadFile(dir_.path() / "back"), testing::ReadFile(blob.file));
  }

  testing::OciRegistry registry_;
  testing::FaultProxy proxy_{registry_.port()};
  testing::TempDir dir_;
  std::vector<std::string> notices_;
};

TEST_F(BlobUploadTest, FailedChunkResumesFromTheRegistrysRange) {
  proxy_.set_rule([](const std::string& m, const std::string&, int n) {
    return m == "PATCH" && n == 2 ? Fault::kFailBefore : Fault::kNone;
  });
  auto client = Client();
  const BlobSource blob = RandomBlob(dir_, "blob", 5 * (64 << 10));
  auto pushed = client->PushBlob("team/app", blob);
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(proxy_.Count("POST"), 1);                    // the same upload session throughout
  EXPECT_EQ(proxy_.Count("PATCH"), 6);                   // five chunks, the third sent twice
  EXPECT_EQ(proxy_.Count("GET", "/blobs/uploads/"), 1);  // asked where to resume
  ASSERT_EQ(notices_.size(), 1u);
  EXPECT_NE(notices_[0].find("HTTP 502"), std::string::npos) << notices_[0];
  ExpectStored(*client, blob);
}

TEST_F(BlobUploadTest, ChunkLostAfterReachingTheRegistryStartsTheUploadOver) {
  // Distribution forgets a session whose state token is stale: the client must start over.
  proxy_.set_rule([](const std::string& m, const std::string&, int n) {
    return m == "PATCH" && n == 1 ? Fault::kFailAfter : Fault::kNone;
  });
  auto client = Client();
  const BlobSource blob = RandomBlob(dir_, "blob", 3 * (64 << 10) + 1);
  auto pushed = client->PushBlob("team/app", blob);
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_EQ(proxy_.Count("POST"), 2);
  ExpectStored(*client, blob);
}

TEST_F(BlobUploadTest, RelativeLocationsWithQueriesAreFollowed) {
  auto client = Client();
  const BlobSource small = RandomBlob(dir_, "small", 1000);
  const BlobSource large = RandomBlob(dir_, "large", 3 * (64 << 10), 2);
  ASSERT_TRUE(client->PushBlob("team/app", small));
  ASSERT_TRUE(client->PushBlob("team/app", large));
  EXPECT_GE(proxy_.relative_locations(), 5);      // 2 POSTs, 3 PATCHes (PUTs answer with the blob)
  EXPECT_EQ(proxy_.Count("PUT", "?_state="), 2);  // digest appended to the registry's query
  ExpectStored(*client, large);
}

TEST_F(BlobUploadTest, TooManyRequestsAndUnavailableAreRetried) {
  proxy_.set_rule([](const std::string& m, const std::string&, int n) {
    if (m == "HEAD" && n == 0) return Fault::kTooManyRequests;
    if (m == "POST" && n == 0) return Fault::kUnavailable;
    return Fault::kNone;
  });
  auto client = Client();
  const BlobSource blob = RandomBlob(dir_, "blob", 1000);
  auto pushed = client->PushBlob("team/app", blob);
  ASSERT_TRUE(pushed) << pushed.error().message;
  ASSERT_EQ(notices_.size(), 2u);
  EXPECT_NE(notices_[0].find("HTTP 429"), std::string::npos) << notices_[0];
  EXPECT_NE(notices_[1].find("HTTP 503"), std::string::npos) << notices_[1];
}

TEST_F(BlobUploadTest, PersistentServerErrorsFailRetryablyAfterTheRetries) {
  proxy_.set_rule([](const std::string& m, const std::string&, int) {
    return m == "PUT" ? Fault::kUnavailable : Fault::kNone;
  });
  auto client = Client();
  auto pushed = client->PushBlob("team/app", BlobSource::FromBytes("payload"));
  ASSERT_FALSE(pushed);
  EXPECT_TRUE(pushed.error().retryable);
  EXPECT_NE(pushed.error().message.find("HTTP 503"), std::string::npos) << pushed.error().message;
  EXPECT_EQ(proxy_.Count("PUT"), 4);  // the first try and max_retries more
}

TEST(BlobUploadRange, ReadsTheNextOffsetFromRange) {
  EXPECT_EQ(NextOffsetFromRange("0-999"), 1000u);
  EXPECT_EQ(NextOffsetFromRange("bytes=0-65535"), 65536u);
  EXPECT_EQ(NextOffsetFromRange("0-0"), 0u);  // distribution's answer for an empty upload
  EXPECT_FALSE(NextOffsetFromRange(""));
  EXPECT_FALSE(NextOffsetFromRange("5-10"));
  EXPECT_FALSE(NextOffsetFromRange("0-x"));
}

}  // namespace
}  // namespace raibid
