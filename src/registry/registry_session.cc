#include "registry/registry_session.h"

#include <nlohmann/json.hpp>
#include <thread>

#include "util/text.h"

namespace raibid {
namespace {

HttpOptions TransportOptions(const RegistryConfig& c) {
  return HttpOptions{.allow_plain_http = c.insecure,
                     .verify_tls = !c.insecure,
                     .ca_file = c.ca_file,
                     .connect_timeout = c.connect_timeout,
                     .stall_seconds = c.stall_seconds,
                     .body_limit = c.body_limit};
}

// Retry-After in seconds (the HTTP-date form is rare from registries and ignored).
Millis RetryAfter(const HttpResponse& r) {
  const std::string v = r.header("retry-after");
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 6) {
    return Millis(0);
  }
  return Millis(std::stol(v) * 1000);
}

}  // namespace

bool IsTransientStatus(long status) { return status == 429 || status >= 500; }

std::string RegistryErrorDetail(std::string_view body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("errors") || !j["errors"].is_array() || j["errors"].empty()) {
    return "";
  }
  const auto& e = j["errors"][0];
  // value() throws for a non-object or a field of another type; a registry's body is not trusted.
  const auto text = [&e](const char* key) {
    if (!e.is_object()) return std::string();
    auto it = e.find(key);
    return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string out = text("code");
  const std::string message = text("message");
  if (!message.empty()) out += (out.empty() ? "" : ": ") + message;
  return out;
}

RegistrySession::RegistrySession(RegistryConfig config, HttpUrl registry, RegistryHooks hooks)
    : config_(std::move(config)),
      registry_(std::move(registry)),
      hooks_(std::move(hooks)),
      transport_(TransportOptions(config_)),
      auth_(registry_, config_.username, config_.password, transport_, hooks_.clock,
            config_.insecure) {
  transport_.set_stop(hooks_.stop);
  auth_.set_on_credential(hooks_.credential);
}

Result<HttpResponse> RegistrySession::SendOnce(const HttpRequest& request,
                                               const std::string& scope) {
  // Credentials go to the registry's own origin only, never to a host a Location names.
  const bool ours = SameOrigin(request.url, registry_.origin());
  bool challenged = false;
  while (true) {
    bool fresh = false;
    HttpRequest req = request;
    if (ours) {
      auto header = auth_.Header(scope, &fresh);
      if (!header) return std::unexpected(header.error());
      if (!header->empty()) req.headers.push_back(std::move(*header));
    }
    auto r = transport_.Send(req);
    if (!r) {
      return Fail(r.error().kind, "registry " + registry_.authority + ": " + r.error().message,
                  r.error().retryable);
    }
    if ((r->status != 401 && r->status != 403) || !ours) return r;
    if (fresh || challenged)
      return std::unexpected(AuthError(*r, request.method + " " + request.url));
    if (r->status == 401) {
      if (auto s = auth_.OnUnauthorized(r->headers_named("www-authenticate"), scope); !s) {
        return std::unexpected(s.error());
      }
    } else {
      auth_.Forget(scope);  // a 403 to an old token: its scope may have been narrower
    }
    challenged = true;
  }
}

Result<HttpResponse> RegistrySession::Send(const HttpRequest& request, const std::string& scope,
                                           std::string_view what) {
  Backoff backoff(config_.retry);
  while (true) {
    auto r = SendOnce(request, scope);
    std::string failure;
    Millis at_least(0);
    if (!r) {
      if (!r.error().retryable) return r;
      failure = r.error().message;
    } else if (IsTransientStatus(r->status)) {
      failure = StatusError(*r, what).message;
      at_least = RetryAfter(*r);
    } else {
      return r;
    }
    if (!WaitToRetry(backoff, failure, at_least)) {
      if (stopping()) return Fail(ErrorKind::kCancelled, failure + "; not retried: stopping");
      Error e = r ? StatusError(*r, what) : r.error();
      if (backoff.retries() > 0)
        e.message += "; gave up after " + std::to_string(backoff.retries()) + " retries";
      return std::unexpected(std::move(e));
    }
  }
}

bool RegistrySession::WaitToRetry(Backoff& backoff, std::string_view failure, Millis at_least) {
  auto wait = backoff.Next();
  if (!wait || stopping()) return false;
  *wait = std::min(std::max(*wait, at_least), std::max(*wait, config_.retry.cap));
  if (hooks_.notice) {
    hooks_.notice(std::string(failure) + "; retrying in " + FormatSeconds(*wait, 1) + " (retry " +
                  std::to_string(backoff.retries()) + ")");
  }
  const auto until = std::chrono::steady_clock::now() + *wait;
  while (std::chrono::steady_clock::now() < until) {
    if (stopping()) return false;
    std::this_thread::sleep_for(std::min(Millis(50), *wait));
  }
  return true;
}

Error RegistrySession::StatusError(const HttpResponse& r, std::string_view what) const {
  std::string msg = "registry " + registry_.authority + ": " + std::string(what) + ": HTTP " +
                    std::to_string(r.status);
  const std::string detail = RegistryErrorDetail(r.body);
  if (!detail.empty()) msg += " (" + detail + ")";
  return Error::Make(ErrorKind::kInfrastructure, msg, IsTransientStatus(r.status));
}

Error RegistrySession::AuthError(const HttpResponse& r, std::string_view what) const {
  // A Bearer challenge may say why: error="insufficient_scope" means the credentials were good
  // but lack the rights, which is worth telling apart from a wrong password.
  const auto challenge = PickChallenge(r.headers_named("www-authenticate"));
  const std::string why = challenge ? challenge->param("error") : "";
  const std::string user =
      auth_.has_credentials() ? "user '" + auth_.username() + "'" : "anonymous access";
  std::string msg = "registry " + registry_.authority + " ";
  if (why == "insufficient_scope" || r.status == 403) {
    msg += "denied " + user + " the rights needed";
    if (challenge && !challenge->param("scope").empty())
      msg += " (" + challenge->param("scope") + ")";
  } else {
    msg += "rejected the credentials of " + user;
  }
  msg += ": HTTP " + std::to_string(r.status);
  const std::string detail = RegistryErrorDetail(r.body);
  if (!detail.empty()) msg += " (" + detail + ")";
  std::string_view path = what.substr(0, what.find('?'));
  if (const size_t origin = path.find(registry_.origin()); origin != std::string_view::npos) {
    msg += " on " + std::string(path.substr(0, origin)) +
           std::string(path.substr(origin + registry_.origin().size()));
  } else {
    msg += " on " + std::string(path);
  }
  return Error::Make(ErrorKind::kInfrastructure, msg, false);
}

}  // namespace raibid
