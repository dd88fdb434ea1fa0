#include "support/test_pki.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

#include "process/run_command.h"

namespace raibid::testing {
namespace {

void Openssl(const std::filesystem::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  auto r = RunCommand({.argv = args, .cwd = dir});
  if (!r || !r->ok()) {
    throw std::runtime_error("openssl " + args[1] + " failed: " + (r ? r->out + r->err : ""));
  }
}

const std::vector<std::string> kNewKey = {"-newkey", "ec", "-pkeyopt",
                                          "ec_paramgen_curve:prime256v1", "-nodes"};

// Throws with OpenSSL's reason unless `ok`.
void Check(bool ok, const std::string& what) {
  if (ok) return;
  char reason[256];
  ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
  ERR_clear_error();
  throw std::runtime_error("test PKI: " + what + ": " + reason);
}

struct FileCloser {
  void operator()(FILE* f) const { fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;
using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

FilePtr Open(const std::filesystem::path& file, const char* mode) {
  FilePtr f(fopen(file.c_str(), mode));
  Check(f != nullptr, "cannot open " + file.string());
  return f;
}

X509Ptr ReadCert(const std::filesystem::path& file) {
  X509Ptr cert(PEM_read_X509(Open(file, "r").get(), nullptr, nullptr, nullptr), &X509_free);
  Check(cert != nullptr, "cannot read " + file.string());
  return cert;
}

KeyPtr ReadKey(const std::filesystem::path& file) {
  KeyPtr key(PEM_read_PrivateKey(Open(file, "r").get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  Check(key != nullptr, "cannot read " + file.string());
  return key;
}

// subjectAltName as for the valid server certificate.
void AddServerNames(X509* cert, X509* issuer) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  const bool added = ext != nullptr && X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  Check(added, "subjectAltName");
}

}  // namespace

TestPki::TestPki() {
  MakeCa("ca");
  MakeCa("other-ca");
  MakeSigned("server", "subjectAltName=IP:127.0.0.1,DNS:localhost");
  MakeSigned("client", "extendedKeyUsage=clientAuth");
  MakeExpiredServer();
}

void TestPki::MakeCa(const std::string& name) {
  std::vector<std::string> args = {"req", "-x509"};
  args.insert(args.end(), kNewKey.begin(), kNewKey.end());
  args.insert(args.end(), {"-keyout", name + ".key", "-out", name + ".pem", "-days", "2", "-subj",
                           "/CN=raibid test " + name});
  Openssl(dir_.path(), args);
}

void TestPki::MakeSigned(const std::string& name, const std::string& extensions) {
  std::vector<std::string> args = {"req"};
  args.insert(args.end(), kNewKey.begin(), kNewKey.end());
  args.insert(args.end(),
              {"-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=raibid " + name});
  Openssl(dir_.path(), args);
  WriteFile(dir_.path() / (name + ".ext"), extensions + "\n");
  Openssl(dir_.path(), {"x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                        "-set_serial", std::to_string(name.size() + 1000), "-days", "2", "-extfile",
                        name + ".ext", "-out", name + ".pem"});
}

void TestPki::MakeExpiredServer() {
  constexpr long kDay = 24 * 60 * 60;
  const X509Ptr issuer = ReadCert(ca());
  const KeyPtr ca_key = ReadKey(dir_.path() / "ca.key");
  const KeyPtr key = ReadKey(server_key());
  X509Ptr cert(X509_new(), &X509_free);
  Check(cert != nullptr, "X509_new");
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const auto* cn = reinterpret_cast<const unsigned char*>("raibid expired server");
  Check(X509_set_version(cert.get(), 2) == 1 &&
            ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 2000) == 1 &&
            X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer.get())) == 1 &&
            X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1 &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -2 * kDay) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), -kDay) != nullptr &&
            X509_set_pubkey(cert.get(), key.get()) == 1,
        "expired certificate fields");
  AddServerNames(cert.get(), issuer.get());
  Check(X509_sign(cert.get(), ca_key.get(), EVP_sha256()) > 0, "signing the expired certificate");
  Check(PEM_write_X509(Open(expired_server_cert(), "w").get(), cert.get()) == 1,
        "writing " + expired_server_cert().string());
}

}  // namespace raibid::testing
