// Redis over TLS against a real redis-server serving TLS only, with certificates made in the test.
#include "redis/tls_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "redis/redis.h"
#include "redis/transport.h"
#include "support/redis_server.h"
#include "support/test_pki.h"

namespace raibid {
namespace {

using ::testing::HasSubstr;

class RedisTlsTest : public ::testing::Test {
 protected:
  static testing::RedisTlsFiles Files(const testing::TestPki& pki, bool mutual) {
    return {.ca = pki.ca(),
            .cert = pki.server_cert(),
            .key = pki.server_key(),
            .client_cert = mutual ? pki.client_cert() : "",
            .client_key = mutual ? pki.client_key() : "",
            .require_client_cert = mutual};
  }
  RedisEndpoint Endpoint() const {
    RedisEndpoint ep = *ParseRedisUrl(server_.url());
    ep.tls.ca_file = pki_.ca();
    return ep;
  }
  // The message of a connection that must fail.
  static std::string Refusal(const RedisEndpoint& ep) {
    auto conn = Redis::Connect(ep, std::chrono::seconds(2));
    return conn ? "connected" : conn.error().message;
  }

  testing::TestPki pki_;
  testing::RedisServer server_{false, Files(pki_, false)};
};

TEST_F(RedisTlsTest, CommandsPipelinesAndLargeValuesGoThroughTls) {
  auto redis = Redis::Connect(Endpoint());
  ASSERT_TRUE(redis) << redis.error().message;
  const std::string big(3 << 20, 'x');  // many TLS records each way
  auto r = (*redis)->Pipeline({{"SET", "k", big}, {"GET", "k"}, {"NOSUCH"}, {"STRLEN", "k"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)[1].str(), big);
  EXPECT_TRUE((*r)[2].is_error());
  EXPECT_EQ((*r)[3].integer(), 3 << 20);
  EXPECT_EQ(server_.Cli({"STRLEN", "k"}), std::to_string(3 << 20));  // redis-cli over TLS too
}

TEST_F(RedisTlsTest, ASecondConnectionResumesTheFirstOnesSession) {
  auto first = Redis::Connect(Endpoint());
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE((*first)->Command({"PING"}));  // TLS 1.3 tickets come after the handshake
  const uint64_t before = TlsResumedHandshakes();
  auto second = Redis::Connect(Endpoint());
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(TlsResumedHandshakes(), before + 1);
  EXPECT_EQ((*second)->Command({"PING"})->str(), "PONG");
}

TEST_F(RedisTlsTest, ReadsReturnWhatOpenSslHoldsBeforeWaitingForTheSocket) {
  auto transport = OpenRedisTransport(Endpoint(), std::chrono::seconds(2));
  ASSERT_TRUE(transport) << transport.error().message;
  // Both replies come in one TLS record; after the first small read the rest sits decrypted in
  // OpenSSL with nothing on the socket, so a poll before SSL_read would wait out the timeout.
  ASSERT_TRUE((*transport)->Write("PING\r\nPING\r\n"));
  std::string got;
  char buf[3];
  while (got.size() < 14) {
    auto n = (*transport)->Read(buf, sizeof buf);
    ASSERT_TRUE(n) << n.error().message << " after '" << got << "'";
    got.append(buf, *n);
  }
  EXPECT_EQ(got, "+PONG\r\n+PONG\r\n");
}

TEST_F(RedisTlsTest, ABurstOfPushedMessagesIsReadMessageByMessage) {
  auto sub = std::move(*Redis::Connect(Endpoint()));
  ASSERT_EQ(sub->Command({"SUBSCRIBE", "ch"})->element(0).str(), "subscribe");
  const std::string first(40000, 'a');  // three records, the last shared with the second message
  ASSERT_TRUE(
      (*Redis::Connect(Endpoint()))->Pipeline({{"PUBLISH", "ch", first}, {"PUBLISH", "ch", "b"}}));
  sub->SetTimeout(std::chrono::seconds(5));
  auto m1 = sub->ReadReply();
  ASSERT_TRUE(m1) << m1.error().message;
  EXPECT_EQ(m1->element(2).str(), first);
  auto m2 = sub->ReadReply();
  ASSERT_TRUE(m2) << m2.error().message;
  EXPECT_EQ(m2->element(2).str(), "b");
}

TEST_F(RedisTlsTest, ABlockingReadTimesOutAndInterruptEndsAnUnboundedOne) {
  auto redis = std::move(*Redis::Connect(Endpoint()));
  ASSERT_TRUE(redis->Command({"SUBSCRIBE", "ch"}));
  redis->SetTimeout(std::chrono::milliseconds(50));
  auto timed_out = redis->ReadReply();
  ASSERT_FALSE(timed_out);
  EXPECT_THAT(timed_out.error().message, HasSubstr("timed out"));

  auto listener = std::move(*Redis::Connect(Endpoint()));
  ASSERT_TRUE(listener->Command({"SUBSCRIBE", "ch"}));
  listener->SetTimeout(std::chrono::milliseconds(0));
  std::thread reader([&] { EXPECT_FALSE(listener->ReadReply()); });
  listener->Interrupt();
  reader.join();
}

TEST_F(RedisTlsTest, AServerCertificateFromAnotherCaIsRefusedAsUnknownCa) {
  RedisEndpoint ep = Endpoint();
  ep.tls.ca_file = pki_.other_ca();
  const std::string why = Refusal(ep);
  EXPECT_THAT(why, HasSubstr("certificate verify failed (unknown CA)"));
  EXPECT_THAT(why, HasSubstr("self-signed certificate in certificate chain"));  // OpenSSL's words
  EXPECT_THAT(why, HasSubstr(Describe(ep)));
}

TEST_F(RedisTlsTest, ACertificateForAnotherNameIsRefusedAsNameMismatch) {
  RedisEndpoint ep = Endpoint();
  ep.tls.server_name = "redis.example.com";
  EXPECT_THAT(Refusal(ep), HasSubstr("certificate verify failed (name mismatch)"));
  ep.tls.server_name = "localhost";  // in the certificate's subjectAltName
  EXPECT_TRUE(Redis::Connect(ep));
}

TEST_F(RedisTlsTest, AnExpiredServerCertificateIsRefusedAsExpired) {
  testing::RedisTlsFiles files = Files(pki_, false);
  files.cert = pki_.expired_server_cert();
  testing::RedisServer expired(false, files);
  RedisEndpoint ep = *ParseRedisUrl(expired.url());
  ep.tls.ca_file = pki_.ca();
  const std::string why = Refusal(ep);
  EXPECT_THAT(why, HasSubstr("certificate verify failed (expired)"));
  EXPECT_THAT(why, HasSubstr("certificate has expired"));  // OpenSSL's words
  EXPECT_THAT(why, HasSubstr(Describe(ep)));
}

TEST_F(RedisTlsTest, InsecureSkipVerifyTakesAnyCertificate) {
  RedisEndpoint ep = Endpoint();
  ep.tls.ca_file = pki_.other_ca();
  ep.tls.insecure_skip_verify = true;
  auto redis = Redis::Connect(ep);
  ASSERT_TRUE(redis) << redis.error().message;
  EXPECT_EQ((*redis)->Command({"PING"})->str(), "PONG");
}

TEST_F(RedisTlsTest, UnreadableFilesAreConfigurationErrorsNamingThem) {
  RedisEndpoint ep = Endpoint();
  ep.tls.ca_file = "/no/such/ca.pem";
  auto conn = Redis::Connect(ep);
  ASSERT_FALSE(conn);
  EXPECT_EQ(conn.error().kind, ErrorKind::kConfig);
  EXPECT_THAT(conn.error().message, HasSubstr("/no/such/ca.pem"));
  ep = Endpoint();
  ep.tls.cert_file = pki_.client_cert();
  ep.tls.key_file = pki_.server_key();  // not the certificate's key
  EXPECT_THAT(Refusal(ep), HasSubstr(pki_.server_key().string()));
}

TEST_F(RedisTlsTest, TlsAndPlainOnTheWrongPortSayWhatIsWrong) {
  testing::RedisServer plain;
  RedisEndpoint ep = Endpoint();
  ep.port = plain.port();
  EXPECT_THAT(Refusal(ep), HasSubstr("does the server speak TLS on this port?"));
  ep = Endpoint();
  ep.tls.enabled = false;  // redis:// to the TLS port: the server hangs up on the command
  auto redis = Redis::Connect(ep, std::chrono::seconds(2));
  EXPECT_FALSE(redis && (*redis)->Command({"PING"}));
}

TEST(RedisMutualTls, TheClientCertificateIsRequiredAndAccepted) {
  testing::TestPki pki;
  testing::RedisServer server(false, testing::RedisTlsFiles{.ca = pki.ca(),
                                                            .cert = pki.server_cert(),
                                                            .key = pki.server_key(),
                                                            .client_cert = pki.client_cert(),
                                                            .client_key = pki.client_key(),
                                                            .require_client_cert = true});
  RedisEndpoint ep = *ParseRedisUrl(server.url());
  ep.tls.ca_file = pki.ca();
  auto without = Redis::Connect(ep, std::chrono::seconds(2));
  ASSERT_FALSE(without);
  EXPECT_THAT(without.error().message, HasSubstr("client certificate"));
  ep.tls.cert_file = pki.client_cert();
  ep.tls.key_file = pki.client_key();
  auto with = Redis::Connect(ep);
  ASSERT_TRUE(with) << with.error().message;
  EXPECT_EQ((*with)->Command({"PING"})->str(), "PONG");
}

}  // namespace
}  // namespace raibid
