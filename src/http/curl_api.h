// libcurl's functions, resolved from libcurl.so.4 on first use: an agent whose jobs never touch
// a registry or a container engine never maps libcurl or what it pulls in (OpenSSL's TLS stack
// aside, GnuTLS, Kerberos, LDAP, libssh2...).
//
// Include this instead of <curl/curl.h>: it switches off curl's type-checking macros, which would
// otherwise rewrite the `api->curl_easy_setopt(...)` calls.
#pragma once

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

#include <optional>
#include <string>

#include "util/error.h"
#include "util/shared_library.h"

namespace raibid {

#define RAIBID_CURL_FUNCTIONS(X) \
  X(curl_global_init)            \
  X(curl_easy_init)              \
  X(curl_easy_cleanup)           \
  X(curl_easy_reset)             \
  X(curl_easy_setopt)            \
  X(curl_easy_getinfo)           \
  X(curl_easy_perform)           \
  X(curl_easy_strerror)          \
  X(curl_slist_append)           \
  X(curl_slist_free_all)

// One pointer per function, named and typed as in <curl/curl.h>.
struct CurlApi {
#define RAIBID_CURL_SLOT(name) decltype(&::name) name = nullptr;
  RAIBID_CURL_FUNCTIONS(RAIBID_CURL_SLOT)
#undef RAIBID_CURL_SLOT
  std::optional<SharedLibrary> library;

  // Opens `soname` and resolves every function; no global initialisation. For tests; the agent
  // uses Curl().
  static Result<CurlApi> Load(const std::string& soname);
};

// The process's libcurl: loaded and globally initialised on the first call (thread-safe), the
// same table or the same error on every later one.
Result<const CurlApi*> Curl();

}  // namespace raibid
