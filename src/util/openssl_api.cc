#include "util/openssl_api.h"

#include <cstdio>
#include <cstdlib>

namespace raibid {

Result<OpenSslApi> OpenSslApi::Load(const std::string& soname) {
  auto lib = SharedLibrary::Open(soname, "libssl3", "rediss:// connections and content digests");
  if (!lib) return std::unexpected(lib.error());
  OpenSslApi api;
  Error error;
#define RAIBID_OPENSSL_RESOLVE(name) \
  if (!Resolve(*lib, #name, api.name, error)) return std::unexpected(error);
  RAIBID_OPENSSL_FUNCTIONS(RAIBID_OPENSSL_RESOLVE)
#undef RAIBID_OPENSSL_RESOLVE
  api.library.emplace(std::move(*lib));
  return api;
}

Result<const OpenSslApi*> OpenSsl() {
  static const Result<OpenSslApi> api = OpenSslApi::Load("libssl.so.3");
  if (!api) return std::unexpected(api.error());
  return &*api;
}

const OpenSslApi& OpenSslOrDie() {
  auto api = OpenSsl();
  if (!api) {
    std::fprintf(stderr, "raibid-agent: %s\n", api.error().message.c_str());
    std::abort();
  }
  return **api;
}

}  // namespace raibid
