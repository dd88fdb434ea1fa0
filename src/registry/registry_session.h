// One registry, spoken to with authentication and retries: the layer every registry operation
// goes through. A request that draws a 401 is answered (Basic, or a Bearer token) and sent again
// once; a 401/403 to credentials obtained just now is final, with a message naming the registry,
// the user and the status. Network errors, 429 and 5xx are retried with backoff (honouring a
// Retry-After up to the backoff cap); everything else is the caller's to judge.
//
// Not thread-safe: one per client.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "http/http_transport.h"
#include "http/http_url.h"
#include "registry/registry_auth.h"
#include "registry/registry_config.h"
#include "util/backoff.h"
#include "util/error.h"

namespace raibid {

class RegistrySession {
 public:
  // `config.url` must already have been validated (RegistryClient::Create does it).
  RegistrySession(RegistryConfig config, HttpUrl registry, RegistryHooks hooks);

  // One authenticated exchange: whatever status comes back is returned, except that 401/403
  // after fresh credentials become a final error. Network failures come back as errors.
  // `scope`: the token scope the request needs, e.g. "repository:a/b:pull,push".
  Result<HttpResponse> SendOnce(const HttpRequest& request, const std::string& scope);

  // SendOnce, repeated with backoff while it fails retryably or answers 429/5xx. When the
  // retries run out the last failure is returned as an error (retryable: the job may be retried
  // later). `what` names the operation in messages: "HEAD blob sha256:... in a/b".
  Result<HttpResponse> Send(const HttpRequest& request, const std::string& scope,
                            std::string_view what);

  // Waits the next backoff delay after `failure` (a note goes to the hooks' notice); false when
  // the retries are used up or the job is stopping.
  bool WaitToRetry(Backoff& backoff, std::string_view failure, Millis at_least = Millis(0));

  // The error for an answer the caller did not expect: "registry HOST: WHAT: HTTP 400
  // (MANIFEST_INVALID: manifest invalid)". Retryable for 429 and 5xx.
  Error StatusError(const HttpResponse& response, std::string_view what) const;

  // "http(s)://host" + path.
  std::string Url(std::string_view path) const { return registry_.origin() + std::string(path); }
  const std::string& host() const { return registry_.authority; }
  const RegistryConfig& config() const { return config_; }
  const RegistryHooks& hooks() const { return hooks_; }
  // Replaces the notice hook; returns the previous one.
  std::function<void(std::string_view)> ExchangeNotice(std::function<void(std::string_view)> f) {
    return std::exchange(hooks_.notice, std::move(f));
  }
  bool stopping() const { return hooks_.stop && hooks_.stop->stop_requested(); }

 private:
  Error AuthError(const HttpResponse& response, std::string_view what) const;

  RegistryConfig config_;
  HttpUrl registry_;
  RegistryHooks hooks_;
  HttpTransport transport_;
  RegistryAuth auth_;
};

// Whether an answer is worth repeating: 429 and 5xx.
bool IsTransientStatus(long status);

// "CODE: message" of the first error in a registry's JSON error body, or "".
std::string RegistryErrorDetail(std::string_view body);

}  // namespace raibid
