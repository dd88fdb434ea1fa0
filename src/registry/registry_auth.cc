#include "registry/registry_auth.h"
#include "util/secret_encodings.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace raibid {
namespace {

constexpr long kDefaultExpiresIn = 60;  // the token spec's default
// Longer lifetimes are trusted for a week only: a time point of years in nanoseconds overflows.
constexpr long kMaxExpiresIn = 7L * 86400;

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The "code: message" of a JSON error answer, when there is one.
std::string Detail(const HttpResponse& r) {
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object()) {
    for (const char* key : {"details", "error_description", "error", "message"}) {
      if (j.contains(key) && j[key].is_string()) return ": " + j[key].get<std::string>();
    }
  }
  return "";
}

}  // namespace

std::chrono::seconds TrustedLifetime(long expires_in) {
  if (expires_in <= 0) expires_in = kDefaultExpiresIn;
  expires_in = std::min(expires_in, kMaxExpiresIn);
  return std::chrono::seconds(expires_in - std::min<long>(30, expires_in / 10));
}

RegistryAuth::RegistryAuth(HttpUrl registry, std::string username, std::string password,
                           HttpTransport& transport, std::function<SteadyTime()> clock,
                           bool allow_plain_http)
    : registry_(std::move(registry)),
      username_(std::move(username)),
      password_(std::move(password)),
      transport_(transport),
      clock_(std::move(clock)),
      allow_plain_http_(allow_plain_http) {}

std::string RegistryAuth::BasicHeader() const {
  return "Authorization: Basic " +
         Base64Encode(username_ + ":" + password_, Base64Alphabet::kStandard, true);
}

Result<std::string> RegistryAuth::Header(const std::string& scope, bool* fresh) {
  *fresh = false;
  if (mode_ == Mode::kNone) return std::string();
  if (mode_ == Mode::kBasic) return BasicHeader();
  auto it = tokens_.find(scope);
  if (it == tokens_.end() || clock_() >= it->second.valid_until) {
    auto token = FetchToken(scope);
    if (!token) return std::unexpected(token.error());
    it = tokens_.insert_or_assign(scope, std::move(*token)).first;
    *fresh = true;
  }
  return "Authorization: Bearer " + it->second.value;
}

Status RegistryAuth::OnUnauthorized(const std::vector<std::string>& challenges,
                                    const std::string& scope) {
  tokens_.erase(scope);
  const auto challenge = PickChallenge(challenges);
  const std::string who = "registry " + registry_.authority;
  if (!challenge) {
    return Fail(ErrorKind::kInfrastructure,
                who + " answered HTTP 401 without a Basic or Bearer challenge");
  }
  if (challenge->scheme == "basic") {
    if (!has_credentials()) {
      return Fail(ErrorKind::kInfrastructure,
                  who + " requires credentials (registry.username, registry.password_file)");
    }
    mode_ = Mode::kBasic;
    return {};
  }
  auto realm = ParseHttpUrl(challenge->param("realm"));
  if (!realm) {
    return Fail(ErrorKind::kInfrastructure,
                who + " sent a Bearer challenge without a usable realm");
  }
  if (realm->scheme == "http" && !allow_plain_http_) {
    return Fail(ErrorKind::kInfrastructure,
                who + " names a plain-http token service (" + realm->ToString() +
                    "); refusing to send credentials there (registry.insecure allows it)");
  }
  mode_ = Mode::kBearer;
  realm_ = realm->ToString();
  service_ = challenge->param("service");
  const std::string asked = challenge->param("scope");
  if (!asked.empty() && asked != scope) challenge_scope_[scope] = asked;
  return {};
}

std::string RegistryAuth::TokenUrl(const std::string& scope) const {
  std::string url = realm_;
  if (!service_.empty()) url = AppendQuery(url, "service", service_);
  std::set<std::string> seen;
  auto extra = challenge_scope_.find(scope);
  std::vector<std::string> scopes = Words(scope);
  if (extra != challenge_scope_.end()) {
    for (auto& w : Words(extra->second)) scopes.push_back(w);
  }
  for (const auto& s : scopes) {
    if (seen.insert(s).second) url = AppendQuery(url, "scope", s);
  }
  return url;
}

Result<RegistryAuth::Token> RegistryAuth::FetchToken(const std::string& scope) {
  HttpRequest req{.method = "GET", .url = TokenUrl(scope)};
  req.headers.push_back("Accept: application/json");
  if (has_credentials()) req.headers.push_back(BasicHeader());
  const SteadyTime asked_at = clock_();
  auto r = transport_.Send(req);
  const std::string what = "token service " + realm_ + " for registry " + registry_.authority;
  if (!r) return Fail(r.error().kind, what + ": " + r.error().message, r.error().retryable);
  if (r->status != 200) {
    const bool denied = r->status == 401 || r->status == 403;
    std::string msg = what + ": HTTP " + std::to_string(r->status) + Detail(*r);
    if (denied) {
      msg += has_credentials() ? " (credentials of user '" + username_ + "' refused)"
                               : " (anonymous access refused; configure registry credentials)";
    }
    return Fail(ErrorKind::kInfrastructure, msg, r->status == 429 || r->status >= 500);
  }
  if (r->body_truncated) return std::unexpected(BodyLimitError(what, transport_.body_limit()));
  const auto j = nlohmann::json::parse(r->body, nullptr, false);
  std::string value;
  long expires_in = kDefaultExpiresIn;
  if (j.is_object()) {
    for (const char* key : {"token", "access_token", "refresh_token"}) {
      if (!j.contains(key) || !j[key].is_string()) continue;
      const std::string& credential = j[key].get_ref<const std::string&>();
      if (on_credential_) on_credential_(credential);
      if (value.empty() && std::string_view(key) != "refresh_token") value = credential;
    }
    if (j.contains("expires_in") && j["expires_in"].is_number()) {
      // Read as a double and bounded before the cast: 1e300 does not fit a long.
      const double e = j["expires_in"].get<double>();
      expires_in =
          std::isfinite(e) && e > 0 ? static_cast<long>(std::min<double>(e, kMaxExpiresIn)) : 0;
    }
  }
  if (value.empty()) {
    return Fail(ErrorKind::kInfrastructure, what + ": the answer holds no token");
  }
  return Token{std::move(value), asked_at + TrustedLifetime(expires_in)};
}

}  // namespace raibid
