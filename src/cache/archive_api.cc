#include "cache/archive_api.h"

namespace raibid {

Result<ArchiveApi> ArchiveApi::Load(const std::string& soname) {
  auto lib = SharedLibrary::Open(soname, "libarchive13", "caches");
  if (!lib) return std::unexpected(lib.error());
  ArchiveApi api;
  Error error;
#define RAIBID_ARCHIVE_RESOLVE(name) \
  if (!Resolve(*lib, #name, api.name, error)) return std::unexpected(error);
  RAIBID_ARCHIVE_FUNCTIONS(RAIBID_ARCHIVE_RESOLVE)
#undef RAIBID_ARCHIVE_RESOLVE
  api.library.emplace(std::move(*lib));
  return api;
}

Result<const ArchiveApi*> Archive() {
  // A function-local static: loaded once, by whichever thread comes first.
  static const Result<ArchiveApi> api = ArchiveApi::Load("libarchive.so.13");
  if (!api) return std::unexpected(api.error());
  return &*api;
}

}  // namespace raibid
