// How to reach one OCI registry (Gitea's, or any Distribution-spec registry), and the hooks a
// caller or a test plugs into the client.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "util/backoff.h"
#include "util/clock.h"
#include "util/stop_token.h"

namespace raibid {

struct RegistryConfig {
  // "https://gitea.example.com" (a path prefix is not supported: the API lives at /v2/).
  // "http://..." is accepted only with `insecure`.
  std::string url;
  std::string username;  // empty: anonymous (token requests without credentials)
  std::string password;  // a secret: never logged, never in an error message or a URL
  // Allows plain http:// and skips TLS certificate verification for https://, the meaning
  // Docker gives "insecure registries". For a test or in-cluster registry only.
  bool insecure = false;
  std::string ca_file;  // extra trust anchors (PEM) for a registry with a private CA
  // Blobs larger than this are uploaded in PATCH requests of this size (reverse proxies in front
  // of Gitea often cap request bodies); smaller blobs go up in one PUT.
  size_t chunk_size = 64 << 20;
  BackoffPolicy retry;  // network errors, 429 and 5xx: 1, 2, 4, 8, 16 s by default
  std::chrono::milliseconds connect_timeout{10000};
  int stall_seconds = 60;  // a transfer below 1 KiB/s for this long is a network error
  // The most of an answer kept in memory (manifests, tokens, error bodies); a manifest or token
  // past it is an error naming agent.limits.http_response_bytes. Blobs are streamed, unbounded.
  size_t body_limit = 4 << 20;
};

// The login steps that build and push images get (DOCKER_CONFIG, REGISTRY_AUTH_FILE): an account
// of its own, never the agent's, so a step never holds a credential the agent works with.
struct StepRegistryLogin {
  std::string username;
  std::string password;  // a secret: masked in every log
};

struct RegistryHooks {
  // The monotonic clock token lifetimes are measured with; tests move it forward.
  std::function<SteadyTime()> clock = [] { return std::chrono::steady_clock::now(); };
  // When set and stopped, the exchange in progress is abandoned (kCancelled).
  const StopSource* stop = nullptr;
  // One line per retry ("... HTTP 503; retrying in 2.0 s"), for the job log. Never holds secrets.
  std::function<void(std::string_view)> notice;
  // Called with every credential the client obtains (bearer tokens from a token service), so the
  // job can mask it in its log, its status and the agent's log.
  std::function<void(std::string_view)> credential;
};

}  // namespace raibid
