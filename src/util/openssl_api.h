// OpenSSL's functions, resolved from libssl.so.3 (and the libcrypto.so.3 it loads) on first use:
// only `rediss://` connections and content digests need them, so an idle agent on plain Redis
// maps neither library. Loading libcrypto touches about 1.8 MiB of its pages, and initialising
// it more; the idle agent's whole resident set is about 7 MiB without them.
//
// Some of OpenSSL's "functions" are macros over SSL_ctrl / SSL_CTX_ctrl /
// CRYPTO_get_ex_new_index; code calls those through this table instead (see tls_transport.cc).
#pragma once

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <optional>
#include <string>

#include "util/error.h"
#include "util/shared_library.h"

namespace raibid {

#define RAIBID_OPENSSL_FUNCTIONS(X)     \
  X(ERR_clear_error)                    \
  X(ERR_get_error)                      \
  X(ERR_peek_error)                     \
  X(ERR_reason_error_string)            \
  X(ERR_error_string_n)                 \
  X(EVP_MD_CTX_new)                     \
  X(EVP_MD_CTX_free)                    \
  X(EVP_DigestInit_ex)                  \
  X(EVP_DigestUpdate)                   \
  X(EVP_DigestFinal_ex)                 \
  X(EVP_sha256)                         \
  X(CRYPTO_get_ex_new_index)            \
  X(X509_verify_cert_error_string)      \
  X(X509_VERIFY_PARAM_set1_ip_asc)      \
  X(TLS_client_method)                  \
  X(SSL_CTX_new)                        \
  X(SSL_CTX_free)                       \
  X(SSL_CTX_ctrl)                       \
  X(SSL_CTX_set_default_verify_paths)   \
  X(SSL_CTX_load_verify_locations)      \
  X(SSL_CTX_set_verify)                 \
  X(SSL_CTX_use_certificate_chain_file) \
  X(SSL_CTX_use_PrivateKey_file)        \
  X(SSL_CTX_check_private_key)          \
  X(SSL_CTX_sess_set_new_cb)            \
  X(SSL_new)                            \
  X(SSL_free)                           \
  X(SSL_set_fd)                         \
  X(SSL_ctrl)                           \
  X(SSL_set_ex_data)                    \
  X(SSL_get_ex_data)                    \
  X(SSL_SESSION_dup)                    \
  X(SSL_SESSION_free)                   \
  X(SSL_set_session)                    \
  X(SSL_session_reused)                 \
  X(SSL_connect)                        \
  X(SSL_read)                           \
  X(SSL_write)                          \
  X(SSL_get_error)                      \
  X(SSL_get_verify_result)              \
  X(SSL_get0_param)                     \
  X(SSL_set1_host)

// One pointer per function, named and typed as in OpenSSL's headers.
struct OpenSslApi {
#define RAIBID_OPENSSL_SLOT(name) decltype(&::name) name = nullptr;
  RAIBID_OPENSSL_FUNCTIONS(RAIBID_OPENSSL_SLOT)
#undef RAIBID_OPENSSL_SLOT
  std::optional<SharedLibrary> library;

  // Opens `soname` and resolves every function. For tests; the agent uses OpenSsl().
  static Result<OpenSslApi> Load(const std::string& soname);
};

// The process's OpenSSL: loaded on the first call (thread-safe), the same table or the same error
// (naming the library and its package, libssl3) on every later one. OpenSSL initialises itself
// on first use.
Result<const OpenSslApi*> OpenSsl();

// OpenSsl() where the caller cannot go on without it (a content digest), or where it has already
// succeeded (a TLS connection under way): a process that cannot load it ends here, with the
// loading error on stderr. The agent's package and image depend on libssl3, so only a broken
// installation gets there.
const OpenSslApi& OpenSslOrDie();

}  // namespace raibid
