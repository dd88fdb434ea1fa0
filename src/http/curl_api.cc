#include "http/curl_api.h"

namespace raibid {

Result<CurlApi> CurlApi::Load(const std::string& soname) {
  auto lib = SharedLibrary::Open(soname, "libcurl4", "registries and the docker executor");
  if (!lib) return std::unexpected(lib.error());
  CurlApi api;
  Error error;
#define RAIBID_CURL_RESOLVE(name) \
  if (!Resolve(*lib, #name, api.name, error)) return std::unexpected(error);
  RAIBID_CURL_FUNCTIONS(RAIBID_CURL_RESOLVE)
#undef RAIBID_CURL_RESOLVE
  api.library.emplace(std::move(*lib));
  return api;
}

Result<const CurlApi*> Curl() {
  // A function-local static: loaded once, by whichever thread comes first.
  static const Result<CurlApi> api = [] {
    auto loaded = CurlApi::Load("libcurl.so.4");
    if (loaded) loaded->curl_global_init(CURL_GLOBAL_DEFAULT);
    return loaded;
  }();
  if (!api) return std::unexpected(api.error());
  return &*api;
}

}  // namespace raibid
