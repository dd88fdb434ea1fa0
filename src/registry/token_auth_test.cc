// The Bearer token flow against a real docker-registry configured with `auth.token`, its realm
// served by a test token service that signs tokens the registry verifies.
#include <gtest/gtest.h>

#include "registry/digest.h"
#include "registry/registry_client.h"
#include "registry/registry_test_util.h"
#include "registry/token_server_test_util.h"
#include "support/oci_registry.h"

namespace raibid {
namespace {

using testing::MakeClient;
using testing::TestConfig;

class TokenAuthTest : public ::testing::Test {
 protected:
  TokenAuthTest() {
    tokens_.AddUser("bob", "token-pass");
    tokens_.AddUser("reader", "reader-pass", {"pull"});
    registry_ = std::make_unique<testing::OciRegistry>(
        testing::OciRegistryOptions{.token = tokens_.registry_auth()});
  }
  std::unique_ptr<RegistryClient> Client(const std::string& user, const std::string& password) {
    return MakeClient(TestConfig(registry_->url(), user, password),
                      {.clock = [this] { return now_; }});
  }

  testing::TokenServer tokens_;
  std::unique_ptr<testing::OciRegistry> registry_;
  SteadyTime now_ = std::chrono::steady_clock::now();
};

TEST_F(TokenAuthTest, ATokenAnswerPastTheBodyLimitIsAnErrorNamingIt) {
  auto config = TestConfig(registry_->url(), "bob", "token-pass");
  config.body_limit = 100;  // a signed token is several hundred bytes
  auto client = MakeClient(config, {.clock = [this] { return now_; }});
  auto pushed = client->PushBlob("team/app", BlobSource::FromBytes("x"));
  ASSERT_FALSE(pushed);
  EXPECT_NE(pushed.error().message.find("token service http://127.0.0.1:"), std::string::npos)
      << pushed.error().message;
  EXPECT_TRUE(pushed.error().message.ends_with(
      ": the answer is over agent.limits.http_response_bytes (100 bytes)"))
      << pushed.error().message;
}

TEST_F(TokenAuthTest, PushesAndPullsWithATokenForTheRepositoryScope) {
  auto client = Client("bob", "token-pass");
  const BlobSource blob = BlobSource::FromBytes("token-protected");
  auto pushed = client->PushBlob("team/app", blob);
  ASSERT_TRUE(pushed) << pushed.error().message;
  EXPECT_TRUE(client->HasBlob("team/app", blob.digest).value());
  EXPECT_EQ(tokens_.requests(), 1);  // one token for HEAD, POST and PUT
  const auto scopes = tokens_.scopes_asked();
  ASSERT_FALSE(scopes.empty());
  EXPECT_EQ(scopes[0], "repository:team/app:pull,push");
}

TEST_F(TokenAuthTest, EveryTokenObtainedIsHandedToTheCredentialHookToBeMasked) {
  std::vector<std::string> reported;
  auto client = MakeClient(TestConfig(registry_->url(), "bob", "token-pass"),
                           {.clock = [this] { return now_; },
                            .credential = [&](std::string_view t) { reported.emplace_back(t); }});
  ASSERT_TRUE(client->HasBlob("team/app", DigestOf("a").digest));
  ASSERT_TRUE(client->HasBlob("other/app", DigestOf("b").digest));  // another scope, a new token
  const auto issued = tokens_.issued();
  ASSERT_EQ(issued.size(), 2u);
  EXPECT_EQ(reported, issued);
}

TEST_F(TokenAuthTest, TokenIsReusedUntilItsLifetimeRunsOut) {
  auto client = Client("bob", "token-pass");
  ASSERT_TRUE(client->HasBlob("team/app", DigestOf("a").digest));
  now_ += std::chrono::seconds(200);  // of the 300 s the token service granted
  ASSERT_TRUE(client->HasBlob("team/app", DigestOf("b").digest));
  EXPECT_EQ(tokens_.requests(), 1);
  now_ += std::chrono::seconds(100);
  ASSERT_TRUE(client->HasBlob("team/app", DigestOf("c").digest));
  EXPECT_EQ(tokens_.requests(), 2);
}

TEST_F(TokenAuthTest, AccessTokenFieldAndMissingExpiresInMeanSixtySeconds) {
  tokens_.use_access_token_field = true;
  tokens_.expires_in = 0;
  auto client = Client("bob", "token-pass");
  ASSERT_TRUE(client->PushBlob("team/app", BlobSource::FromBytes("x")));
  now_ += std::chrono::seconds(50);
  ASSERT_TRUE(client->HasBlob("team/app", DigestOf("x").digest));
  EXPECT_EQ(tokens_.requests(), 1);
  now_ += std::chrono::seconds(10);
  ASSERT_TRUE(client->HasBlob("team/app", DigestOf("x").digest));
  EXPECT_EQ(tokens_.requests(), 2);
}

TEST_F(TokenAuthTest, TokenRejectedMidJobIsFetchedAgainNotFatal) {
  auto client = Client("bob", "token-pass");
  ASSERT_TRUE(client->PushBlob("team/app", BlobSource::FromBytes("first")));
  // The registry stops trusting the token the client holds (as with a lapsed 24 h token).
  tokens_.RotateKey();
  registry_->Stop();
  registry_->Start();
  auto second = client->PushBlob("team/app", BlobSource::FromBytes("second"));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(tokens_.requests(), 2);
}

TEST_F(TokenAuthTest, WrongCredentialsAtTheTokenServiceAreFinal) {
  auto client = Client("bob", "not-the-password");
  auto s = client->PushBlob("team/app", BlobSource::FromBytes("x"));
  ASSERT_FALSE(s);
  EXPECT_FALSE(s.error().retryable);
  EXPECT_NE(s.error().message.find("HTTP 401"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find(registry_->host()), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("'bob'"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find("not-the-password"), std::string::npos);
  EXPECT_EQ(tokens_.requests(), 1);
}

TEST_F(TokenAuthTest, PushWithoutPushRightsIsDeniedAfterOneFreshToken) {
  auto client = Client("reader", "reader-pass");
  auto s = client->PushBlob("team/app", BlobSource::FromBytes("x"));
  ASSERT_FALSE(s);
  EXPECT_FALSE(s.error().retryable);
  EXPECT_NE(s.error().message.find("HTTP 401"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("denied user 'reader'"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("(repository:team/app:"),
            std::string::npos)  // actions unordered
      << s.error().message;
  EXPECT_EQ(tokens_.requests(), 2);  // the cached token, then one fresh one: no storm
}

}  // namespace
}  // namespace raibid
