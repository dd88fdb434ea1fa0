// Certificates for TLS tests, made with the `openssl` command in a temp directory: a CA, a server
// certificate it signed for 127.0.0.1 and localhost, a client certificate it signed (mutual TLS),
// a second CA that signed nothing here (a "wrong CA"), and a server certificate signed by the CA
// that expired yesterday. EC P-256 keys; the others are valid for two days.
// Throws std::runtime_error with openssl's output when a step fails.
#pragma once

#include <filesystem>

#include "support/temp_dir.h"

namespace raibid::testing {

class TestPki {
 public:
  TestPki();

  std::filesystem::path ca() const { return dir_.path() / "ca.pem"; }
  std::filesystem::path other_ca() const { return dir_.path() / "other-ca.pem"; }
  std::filesystem::path server_cert() const { return dir_.path() / "server.pem"; }
  std::filesystem::path server_key() const { return dir_.path() / "server.key"; }
  // For server_key(), names as server_cert(), valid from two days ago until yesterday.
  std::filesystem::path expired_server_cert() const { return dir_.path() / "expired-server.pem"; }
  std::filesystem::path client_cert() const { return dir_.path() / "client.pem"; }
  std::filesystem::path client_key() const { return dir_.path() / "client.key"; }

 private:
  void MakeCa(const std::string& name);
  // A key and a certificate `name`.pem signed by ca.pem, with `extensions` (an openssl
  // extension line, e.g. "subjectAltName=IP:127.0.0.1").
  void MakeSigned(const std::string& name, const std::string& extensions);
  // The server's key certified again by ca.pem, with validity dates in the past (Debian 12's
  // openssl command takes no start date, so this uses the library).
  void MakeExpiredServer();

  TempDir dir_{"raibid-pki"};
};

}  // namespace raibid::testing
