// A shared library opened on first use with dlopen, for the libraries only some jobs need
// (libcurl for registries and container engines, libarchive for caches): an idle agent then
// never maps them, nor the dozens of libraries they pull in.
//
// Thread-safe after construction; the library stays loaded until the object goes.
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace raibid {

class SharedLibrary {
 public:
  // Opens `soname` (as the dynamic linker finds it: "libcurl.so.4"). On failure the error
  // (kInfrastructure, `local`: another machine may have it) names the library, the Debian package
  // that ships it and what needs it: "libcurl.so.4 cannot be loaded (package libcurl4; needed by
  // registries and the docker executor): <dlerror>".
  static Result<SharedLibrary> Open(const std::string& soname, std::string_view package,
                                    std::string_view needed_by);
  ~SharedLibrary();
  SharedLibrary(SharedLibrary&& other) noexcept;
  SharedLibrary& operator=(SharedLibrary&&) = delete;
  SharedLibrary(const SharedLibrary&) = delete;

  // The address of `name`, or an error naming the symbol and the library (an older library
  // without it).
  Result<void*> Symbol(const char* name) const;

  const std::string& soname() const { return soname_; }

 private:
  SharedLibrary(std::string soname, void* handle) : soname_(std::move(soname)), handle_(handle) {}
  std::string soname_;
  void* handle_ = nullptr;
};

// Fills `slot` (a function pointer) with the symbol `name` of `lib`; false (with `error` set)
// when it is missing. For tables of functions resolved once.
template <typename Fn>
bool Resolve(const SharedLibrary& lib, const char* name, Fn& slot, Error& error) {
  auto sym = lib.Symbol(name);
  if (!sym) {
    error = sym.error();
    return false;
  }
  slot = reinterpret_cast<Fn>(*sym);
  return true;
}

}  // namespace raibid
