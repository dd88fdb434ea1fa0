// One HTTP exchange at a time over libcurl, with the agent's safety defaults: TLS verification on,
// plain http only when allowed, bounded connect time, a stalled transfer is a network error,
// request bodies streamed from a file range (never loaded whole), response bodies either streamed
// to a consumer or kept up to a limit (HttpOptions::body_limit, agent.limits.http_response_bytes).
// The connection is kept alive between exchanges.
//
// Not thread-safe: one transport per thread (the curl handle is reused). libcurl is loaded on the
// process's first exchange (http/curl_api.h); when it cannot be, Send fails with that error.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"
#include "util/stop_token.h"

namespace raibid {

struct CurlApi;

// A request body that can be read again from the start (curl rewinds on some retries, and the
// client repeats a request after an authentication challenge).
struct HttpBody {
  std::string_view bytes;  // in memory, when fd < 0; must outlive the exchange
  int fd = -1;             // else `length` bytes of this file from `offset`, read with pread
  uint64_t offset = 0;
  uint64_t length = 0;

  uint64_t size() const { return fd >= 0 ? length : bytes.size(); }
};

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH, DELETE
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::optional<HttpBody> body;
  // Receives the response body of a 2xx answer piece by piece; returning false aborts the
  // transfer. Bodies of other answers (and of 2xx answers when unset) go to HttpResponse::body.
  std::function<bool(std::string_view)> sink;
  bool follow_redirects = false;  // for GET/HEAD of blobs, which registries may redirect
  // Polled while the exchange runs (about once a second when no data moves): returning false
  // ends it with an Error of kind kCancelled. For long-lived streams that end on a condition
  // only the caller knows (a step's deadline).
  std::function<bool()> keep_going;
};

struct HttpResponse {
  long status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;                                 // at most HttpOptions::body_limit bytes
  // The answer's body was longer than body_limit: `body` holds its start, the rest was read and
  // dropped. Whoever needs the whole body (a manifest, a token) reports it with BodyLimitError.
  bool body_truncated = false;

  // The first value of header `name` (lower-case), or "".
  std::string header(const std::string& name) const;
  std::vector<std::string> headers_named(const std::string& name) const;
};

struct HttpOptions {
  bool allow_plain_http = false;  // else only https:// URLs are fetched, redirects included
  bool verify_tls = true;
  std::string ca_file;  // extra trust anchors; empty: the system's
  std::chrono::milliseconds connect_timeout{10000};
  int stall_seconds = 60;  // below 1 KiB/s for this long: the transfer fails; 0: never
  // Every request goes over this unix socket (the Docker Engine's), whatever host the URL
  // names; empty: TCP. Error messages then name the socket and the URL's path, not its host.
  std::string unix_socket;
  std::string user_agent = "raibid-agent";
  // The most of a response body kept in memory (bodies given to a request's sink are not
  // bounded here); agent.limits.http_response_bytes.
  size_t body_limit = 4 << 20;
};

// "registry.example.com: GET manifest a/b:1: the answer is over
// agent.limits.http_response_bytes (4 MiB)": for a response whose body_truncated is set.
Error BodyLimitError(std::string_view what, size_t body_limit);

class HttpTransport {
 public:
  explicit HttpTransport(HttpOptions options);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Stops any exchange in progress, and every later one, once `stop` is requested.
  void set_stop(const StopSource* stop) { stop_ = stop; }

  size_t body_limit() const { return options_.body_limit; }

  // Fails only when no HTTP answer came: network errors (kInfrastructure, retryable), a
  // cancellation (kCancelled), or a body the sink refused. Any HTTP status is a response.
  // Error messages never contain request headers.
  Result<HttpResponse> Send(const HttpRequest& request);

 private:
  struct Exchange;
  // Loads libcurl (on the process's first exchange) and makes this transport's handle.
  Status Open();
  void Configure(const HttpRequest& request, Exchange& ex);
  void ConfigureMethod(const HttpRequest& request, Exchange& ex);
  // "GET https://host/path" (the query left out), for messages.
  std::string Describe(const HttpRequest& request) const;
  // Why a failed exchange (a CURLcode) failed, naming the real endpoint.
  std::string FailureDetail(int code, const Exchange& ex) const;

  HttpOptions options_;
  const CurlApi* api_ = nullptr;  // set by Open()
  void* curl_ = nullptr;          // CURL*, reused for connection keep-alive; made by Open()
  const StopSource* stop_ = nullptr;
};

}  // namespace raibid
