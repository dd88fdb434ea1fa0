// TLS and cancellation behaviour of the transport, against a local HTTPS server (cpp-httplib
// with a certificate made by `openssl` for 127.0.0.1).
#include "http/http_transport.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <thread>

#include "process/run_command.h"
#include "registry/registry_client.h"
#include "registry/registry_test_util.h"
#include "support/temp_dir.h"

namespace raibid {
namespace {

class TlsServer {
 public:
  TlsServer() {
    auto r = RunCommand({.argv = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                  "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                                  key().string(), "-out", cert().string(), "-days", "2", "-subj",
                                  "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"}});
    if (!r || !r->ok()) throw std::runtime_error("openssl failed");
    server_ = std::make_unique<httplib::SSLServer>(cert().c_str(), key().c_str());
    server_->Get("/v2/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{}", "application/json");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    for (int i = 0; i < 500 && !server_->is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  ~TlsServer() {
    server_->stop();
    thread_.join();
  }
  std::filesystem::path cert() const { return dir_.path() / "cert.pem"; }
  std::filesystem::path key() const { return dir_.path() / "key.pem"; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

 private:
  testing::TempDir dir_;
  std::unique_ptr<httplib::SSLServer> server_;
  int port_ = 0;
  std::thread thread_;
};

RegistryConfig Config(const std::string& url) {
  auto c = testing::TestConfig(url);
  c.insecure = false;
  return c;
}

TEST(HttpTransport, VerifiesCertificatesByDefault) {
  TlsServer server;
  auto s = testing::MakeClient(Config(server.url()))->Ping();
  ASSERT_FALSE(s);
  EXPECT_FALSE(s.error().retryable);  // a certificate problem does not go away by retrying
  EXPECT_NE(s.error().message.find("certificate"), std::string::npos) << s.error().message;
}

TEST(HttpTransport, TrustsAConfiguredCaFile) {
  TlsServer server;
  auto config = Config(server.url());
  config.ca_file = server.cert().string();
  auto s = testing::MakeClient(config)->Ping();
  EXPECT_TRUE(s) << s.error().message;
}

TEST(HttpTransport, InsecureSkipsVerification) {
  TlsServer server;
  auto config = Config(server.url());
  config.insecure = true;
  auto s = testing::MakeClient(config)->Ping();
  EXPECT_TRUE(s) << s.error().message;
}

TEST(HttpTransport, PlainHttpIsNotFetchedWhenNotAllowed) {
  HttpTransport t({.allow_plain_http = false});
  auto r = t.Send({.url = "http://127.0.0.1:1/v2/"});
  ASSERT_FALSE(r);
  EXPECT_FALSE(r.error().retryable);
}

TEST(HttpTransport, StopRequestedCancelsTheExchange) {
  TlsServer server;
  StopSource stop;
  stop.RequestStop(StopReason::kCancelled);
  auto config = Config(server.url());
  config.insecure = true;
  auto s = testing::MakeClient(config, {.stop = &stop})->Ping();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kCancelled);
}

}  // namespace
}  // namespace raibid
