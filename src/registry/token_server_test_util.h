// For registry tests: the token service of the distribution "token authentication" flow, so
// the real registry (configured with auth.token: realm, service, issuer, rootcertbundle) accepts
// what it issues. It checks Basic credentials, grants the requested repository actions the user
// may have, and signs RS256 JWTs whose `x5c` header carries a self-signed certificate the
// registry trusts through its bundle. The key and certificate come from the `openssl` command;
// signing uses libcrypto.
#pragma once

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "process/run_command.h"
#include "registry/registry_auth.h"
#include "support/oci_registry.h"
#include "support/temp_dir.h"
#include "util/mutex.h"
#include "util/secret_encodings.h"

namespace raibid::testing {

class TokenServer {
 public:
  TokenServer() {
    MakeKey();
    server_.Get("/token",
                [this](const httplib::Request& req, httplib::Response& res) { Issue(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("token server: bind failed");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 500 && !server_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  ~TokenServer() {
    server_.stop();
    thread_.join();
  }

  // `actions`: what the user may do in every repository ("pull", "push").
  void AddUser(const std::string& name, const std::string& password,
               std::set<std::string> actions = {"pull", "push"}) {
    MutexLock lock(&mu_);
    users_[name] = {password, std::move(actions)};
  }

  OciTokenAuth registry_auth() const {
    return {.realm = "http://127.0.0.1:" + std::to_string(port_) + "/token",
            .service = "raibid-test-registry",
            .issuer = "raibid-test-issuer",
            .root_cert_bundle = dir_.path() / "bundle.pem"};
  }

  // A new signing key; the bundle then trusts only it (restart the registry to re-read it).
  void RotateKey() { MakeKey(); }

  std::atomic<bool> use_access_token_field{false};  // answer {"access_token": ...}
  std::atomic<int> expires_in{300};                 // 0: leave expires_in out

  int requests() const { return requests_; }
  std::vector<std::string> issued() const {  // every token handed out, in order
    MutexLock lock(&mu_);
    return issued_;
  }
  std::vector<std::string> scopes_asked() const {
    MutexLock lock(&mu_);
    return scopes_;
  }

 private:
  struct User {
    std::string password;
    std::set<std::string> actions;
  };

  static std::string Base64Url(std::string_view data) {
    return raibid::Base64Encode(data, raibid::Base64Alphabet::kUrlSafe, false);
  }

  static std::string DecodeBase64(const std::string& in) {
    std::string out(in.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
    if (n < 0) return "";
    size_t pad = 0;
    for (size_t i = in.size(); i > 0 && in[i - 1] == '='; --i) ++pad;
    out.resize(static_cast<size_t>(n) - pad);
    return out;
  }

  void MakeKey() {
    const auto key = dir_.path() / "key.pem", cert = dir_.path() / "cert.pem";
    auto r = RunCommand({.argv = {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                  "-keyout", key.string(), "-out", cert.string(), "-days", "2",
                                  "-subj", "/CN=raibid-test-token"}});
    if (!r || !r->ok()) throw std::runtime_error("openssl req failed: " + (r ? r->err : ""));
    MutexLock lock(&mu_);
    pkey_.reset();
    BIO* kb = BIO_new_file(key.c_str(), "r");
    pkey_.reset(PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr));
    BIO_free(kb);
    BIO* cb = BIO_new_file(cert.c_str(), "r");
    X509* x = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    BIO_free(cb);
    if (!pkey_ || !x) throw std::runtime_error("cannot load the token key");
    unsigned char* der = nullptr;
    const int len = i2d_X509(x, &der);
    cert_der_.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    X509_free(x);
    WriteFile(dir_.path() / "bundle.pem", ReadFile(cert));
  }

  std::string Sign(const std::string& input) REQUIRES(mu_) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey_.get());
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                   input.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(input.data()), input.size());
    EVP_MD_CTX_free(ctx);
    sig.resize(len);
    return sig;
  }

  // The access entries granted for the requested scopes ("repository:a/b:pull,push").
  static nlohmann::json Grants(const httplib::Request& req, const User& user,
                               std::vector<std::string>& asked) {
    nlohmann::json access = nlohmann::json::array();
    for (size_t i = 0; i < req.get_param_value_count("scope"); ++i) {
      const std::string scope = req.get_param_value("scope", i);
      asked.push_back(scope);
      const size_t first = scope.find(':'), last = scope.rfind(':');
      if (first == std::string::npos || first == last) continue;
      nlohmann::json actions = nlohmann::json::array();
      std::string list = scope.substr(last + 1) + ",";
      for (size_t p = 0, c; (c = list.find(',', p)) != std::string::npos; p = c + 1) {
        const std::string a = list.substr(p, c - p);
        if (user.actions.count(a)) actions.push_back(a);
      }
      access.push_back({{"type", scope.substr(0, first)},
                        {"name", scope.substr(first + 1, last - first - 1)},
                        {"actions", actions}});
    }
    return access;
  }

  void Issue(const httplib::Request& req, httplib::Response& res) {
    ++requests_;
    MutexLock lock(&mu_);
    const std::string auth = req.get_header_value("Authorization");
    const std::string creds = auth.rfind("Basic ", 0) == 0 ? DecodeBase64(auth.substr(6)) : "";
    const std::string name = creds.substr(0, creds.find(':'));
    auto user = users_.find(name);
    if (creds.empty() || user == users_.end() ||
        creds.substr(creds.find(':') + 1) != user->second.password) {
      res.status = 401;
      res.set_content(R"({"details":"invalid username or password"})", "application/json");
      return;
    }
    const auto cfg = registry_auth();
    const long now = static_cast<long>(std::time(nullptr));
    nlohmann::json header = {{"typ", "JWT"},
                             {"alg", "RS256"},
                             {"x5c", {Base64Encode(cert_der_, Base64Alphabet::kStandard, true)}}};
    nlohmann::json claims = {{"iss", cfg.issuer},
                             {"sub", name},
                             {"aud", req.get_param_value("service")},
                             {"exp", now + 3600},
                             {"nbf", now - 10},
                             {"iat", now},
                             {"jti", std::to_string(requests_)},
                             {"access", Grants(req, user->second, scopes_)}};
    const std::string input = Base64Url(header.dump()) + "." + Base64Url(claims.dump());
    const std::string token = input + "." + Base64Url(Sign(input));
    issued_.push_back(token);
    nlohmann::json body = {{use_access_token_field ? "access_token" : "token", token}};
    if (expires_in > 0) body["expires_in"] = expires_in.load();
    res.set_content(body.dump(), "application/json");
  }

  struct FreeKey {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };

  TempDir dir_{"raibid-token"};
  int port_ = 0;
  httplib::Server server_;
  std::thread thread_;
  mutable Mutex mu_;
  std::unique_ptr<EVP_PKEY, FreeKey> pkey_ GUARDED_BY(mu_);
  std::string cert_der_ GUARDED_BY(mu_);
  std::map<std::string, User> users_ GUARDED_BY(mu_);
  std::vector<std::string> scopes_ GUARDED_BY(mu_);
  std::vector<std::string> issued_ GUARDED_BY(mu_);
  std::atomic<int> requests_{0};
};

}  // namespace raibid::testing
