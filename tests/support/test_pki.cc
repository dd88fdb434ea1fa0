#include "support/test_pki.h"

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

}  // namespace

TestPki::TestPki() {
  MakeCa("ca");
  MakeCa("other-ca");
  MakeSigned("server", "subjectAltName=IP:127.0.0.1,DNS:localhost");
  MakeSigned("client", "extendedKeyUsage=clientAuth");
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

}  // namespace raibid::testing
