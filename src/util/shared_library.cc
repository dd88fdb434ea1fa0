#include "util/shared_library.h"

#include <dlfcn.h>

namespace raibid {

Result<SharedLibrary> SharedLibrary::Open(const std::string& soname, std::string_view package,
                                          std::string_view needed_by) {
  // RTLD_LOCAL: the symbols serve this table only, not later-loaded libraries.
  void* handle = ::dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    Error e{ErrorKind::kInfrastructure,
            soname + " cannot be loaded (package " + std::string(package) + "; needed by " +
                std::string(needed_by) + "): " + (why ? why : "unknown reason"),
            false};
    e.local = true;
    return std::unexpected(std::move(e));
  }
  return SharedLibrary(soname, handle);
}

SharedLibrary::~SharedLibrary() {
  if (handle_ != nullptr) ::dlclose(handle_);
}

SharedLibrary::SharedLibrary(SharedLibrary&& other) noexcept
    : soname_(std::move(other.soname_)), handle_(other.handle_) {
  other.handle_ = nullptr;
}

Result<void*> SharedLibrary::Symbol(const char* name) const {
  ::dlerror();  // clears an old error: a symbol's address may legitimately be null
  void* sym = ::dlsym(handle_, name);
  if (sym == nullptr) {
    Error e{ErrorKind::kInfrastructure, soname_ + " has no " + name + " (too old a version?)",
            false};
    e.local = true;
    return std::unexpected(std::move(e));
  }
  return sym;
}

}  // namespace raibid
