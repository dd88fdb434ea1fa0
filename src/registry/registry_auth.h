// Answers a registry's authentication challenges (OCI distribution, "token authentication"):
// - Basic: the configured username and password on every request to the registry.
// - Bearer: a token from the challenge's realm (GET realm?service=..&scope=..), asked for with the
//   credentials as Basic (or anonymously), read from the answer's `token` or `access_token`,
//   kept per scope for `expires_in` seconds (60 when missing), a little less to be safe.
// The scheme is learnt from the first 401, so a registry that wants nothing gets nothing.
//
// Not thread-safe: one per client.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_transport.h"
#include "http/http_url.h"
#include "registry/auth_challenge.h"
#include "util/clock.h"
#include "util/error.h"

namespace raibid {

class RegistryAuth {
 public:
  // `registry`: the registry's origin, for messages and the http-realm check.
  RegistryAuth(HttpUrl registry, std::string username, std::string password,
               HttpTransport& transport, std::function<SteadyTime()> clock, bool allow_plain_http);

  // The "Authorization: ..." header for a request needing `scope` (space-separated resource
  // scopes such as "repository:a/b:pull,push"; "" for none), or "" while no challenge was seen.
  // May fetch a token. `*fresh` is set when the credentials were obtained just now: a 401 to
  // fresh credentials is final. Token service failures: kInfrastructure, retryable for network
  // errors, 429 and 5xx only.
  Result<std::string> Header(const std::string& scope, bool* fresh);

  // After a 401: takes the scheme and parameters from its WWW-Authenticate headers and drops
  // the token held for `scope`, so the next Header asks again. Fails (final) when the challenge
  // cannot be answered: no known scheme, or Basic without configured credentials.
  Status OnUnauthorized(const std::vector<std::string>& challenges, const std::string& scope);

  // Drops the token held for `scope` (after a 403 to a token that was not fresh).
  void Forget(const std::string& scope) { tokens_.erase(scope); }

  // Called with every credential a token service hands out (token, access_token, refresh_token),
  // as soon as it is read, so the caller can mask it in logs and messages.
  void set_on_credential(std::function<void(std::string_view)> on_credential) {
    on_credential_ = std::move(on_credential);
  }

  bool has_credentials() const { return !username_.empty(); }
  const std::string& username() const { return username_; }

 private:
  enum class Mode { kNone, kBasic, kBearer };
  struct Token {
    std::string value;
    SteadyTime valid_until;
  };

  std::string BasicHeader() const;
  Result<Token> FetchToken(const std::string& scope);
  std::string TokenUrl(const std::string& scope) const;

  HttpUrl registry_;
  std::string username_;
  std::string password_;
  HttpTransport& transport_;
  std::function<SteadyTime()> clock_;
  bool allow_plain_http_;
  std::function<void(std::string_view)> on_credential_;
  Mode mode_ = Mode::kNone;
  std::string realm_;
  std::string service_;
  std::map<std::string, std::string> challenge_scope_;  // our scope -> scope the registry named
  std::map<std::string, Token> tokens_;                 // by scope
};

// The lifetime the agent trusts a token for: `expires_in` less a margin (a tenth, at most 30 s)
// so a token does not lapse between the check and the request.
std::chrono::seconds TrustedLifetime(long expires_in_seconds);

}  // namespace raibid
