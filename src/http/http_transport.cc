#include "http/http_transport.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include "http/curl_api.h"
#include "util/input_limits.h"
#include "util/text.h"

namespace raibid {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n' || s.back() == ' '))
    s.remove_suffix(1);
  return std::string(s);
}

// The URL without its query, for messages: upload URLs carry long opaque state.
std::string ForMessage(const std::string& url) { return url.substr(0, url.find('?')); }

// Failures that retrying the same exchange cannot cure.
bool Permanent(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_TOO_MANY_REDIRECTS:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::vector<std::string> HttpResponse::headers_named(const std::string& name) const {
  std::vector<std::string> out;
  for (auto [it, end] = headers.equal_range(name); it != end; ++it) out.push_back(it->second);
  return out;
}

Error BodyLimitError(std::string_view what, size_t body_limit) {
  return Error{ErrorKind::kInfrastructure,
               std::string(what) + ": the answer is over " +
                   SizeLimitText("http_response_bytes", body_limit),
               false};
}

struct HttpTransport::Exchange {
  const HttpRequest* request = nullptr;
  size_t body_limit = 0;
  const StopSource* stop = nullptr;
  const CurlApi* api = nullptr;
  CURL* curl = nullptr;
  HttpResponse response;
  uint64_t body_pos = 0;
  int read_errno = 0;
  bool sink_refused = false;
  bool gave_up = false;  // keep_going said no
  curl_slist* headers = nullptr;
  char error[CURL_ERROR_SIZE] = {};

  ~Exchange() { api->curl_slist_free_all(headers); }

  static size_t Read(char* buf, size_t size, size_t count, void* data) {
    auto* ex = static_cast<Exchange*>(data);
    if (!ex->request->body) return 0;  // an empty body
    const HttpBody& body = *ex->request->body;
    const uint64_t left = body.size() - std::min(ex->body_pos, body.size());
    const size_t want = static_cast<size_t>(std::min<uint64_t>(size * count, left));
    if (want == 0) return 0;
    if (body.fd < 0) {
      std::memcpy(buf, body.bytes.data() + ex->body_pos, want);
      ex->body_pos += want;
      return want;
    }
    ssize_t n;
    do {
      n = ::pread(body.fd, buf, want, static_cast<off_t>(body.offset + ex->body_pos));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {  // a file that shrank under us is as broken as an I/O error
      ex->read_errno = n < 0 ? errno : EIO;
      return CURL_READFUNC_ABORT;
    }
    ex->body_pos += n;
    return static_cast<size_t>(n);
  }

  static int Seek(void* data, curl_off_t offset, int origin) {
    auto* ex = static_cast<Exchange*>(data);
    if (origin != SEEK_SET || offset < 0) return CURL_SEEKFUNC_CANTSEEK;
    ex->body_pos = static_cast<uint64_t>(offset);
    return CURL_SEEKFUNC_OK;
  }

  static size_t Header(char* buf, size_t size, size_t count, void* data) {
    auto* ex = static_cast<Exchange*>(data);
    const std::string_view line(buf, size * count);
    if (line.starts_with("HTTP/")) {
      ex->response.headers.clear();  // a new answer: after "100 Continue" or a redirect
      return size * count;
    }
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      ex->response.headers.emplace(Lower(Trim(line.substr(0, colon))),
                                   Trim(line.substr(colon + 1)));
    }
    return size * count;
  }

  static size_t Write(char* buf, size_t size, size_t count, void* data) {
    auto* ex = static_cast<Exchange*>(data);
    const std::string_view piece(buf, size * count);
    long status = 0;
    ex->api->curl_easy_getinfo(ex->curl, CURLINFO_RESPONSE_CODE, &status);
    if (ex->request->sink && status >= 200 && status < 300) {
      if (ex->request->sink(piece)) return piece.size();
      ex->sink_refused = true;
      return 0;
    }
    std::string& body = ex->response.body;
    const size_t room = ex->body_limit - std::min(ex->body_limit, body.size());
    if (piece.size() > room) ex->response.body_truncated = true;
    body.append(piece.substr(0, std::min(piece.size(), room)));
    return piece.size();
  }

  static int Progress(void* data, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* ex = static_cast<Exchange*>(data);
    if (ex->stop && ex->stop->stop_requested()) return 1;
    if (ex->request->keep_going && !ex->request->keep_going()) {
      ex->gave_up = true;
      return 1;
    }
    return 0;
  }
};

HttpTransport::HttpTransport(HttpOptions options) : options_(std::move(options)) {}

HttpTransport::~HttpTransport() {
  if (curl_) api_->curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Status HttpTransport::Open() {
  if (curl_) return {};
  auto api = Curl();
  if (!api) return std::unexpected(api.error());
  api_ = *api;
  curl_ = api_->curl_easy_init();
  if (!curl_) std::abort();  // only fails when out of memory
  return {};
}

void HttpTransport::Configure(const HttpRequest& request, Exchange& ex) {
  CURL* c = ex.curl;
  api_->curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  api_->curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  api_->curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ex.error);
  const char* protocols = options_.allow_plain_http ? "http,https" : "https";
  api_->curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
  api_->curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protocols);
  api_->curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  api_->curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  if (!options_.ca_file.empty())
    api_->curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
  api_->curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(options_.connect_timeout.count()));
  if (options_.stall_seconds > 0) {
    api_->curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    api_->curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.stall_seconds));
  }
  if (!options_.unix_socket.empty()) {
    api_->curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, options_.unix_socket.c_str());
  }
  api_->curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  api_->curl_easy_setopt(c, CURLOPT_USERAGENT, options_.user_agent.c_str());
  api_->curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L << 10);
  api_->curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 512L << 10);
  api_->curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  api_->curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  api_->curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Exchange::Header);
  api_->curl_easy_setopt(c, CURLOPT_HEADERDATA, &ex);
  api_->curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Exchange::Write);
  api_->curl_easy_setopt(c, CURLOPT_WRITEDATA, &ex);
  api_->curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  api_->curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &Exchange::Progress);
  api_->curl_easy_setopt(c, CURLOPT_XFERINFODATA, &ex);
  ConfigureMethod(request, ex);
  for (const auto& h : request.headers) ex.headers = api_->curl_slist_append(ex.headers, h.c_str());
  api_->curl_easy_setopt(c, CURLOPT_HTTPHEADER, ex.headers);
}

void HttpTransport::ConfigureMethod(const HttpRequest& request, Exchange& ex) {
  CURL* c = ex.curl;
  const std::string& m = request.method;
  if (m == "HEAD") {
    api_->curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (m == "POST" || m == "PUT" || m == "PATCH") {
    // Every body goes through the read callback, an empty one included, so the three methods
    // stream the same way; "Expect:" keeps curl from waiting for a "100 Continue".
    api_->curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    api_->curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
                           static_cast<curl_off_t>(request.body ? request.body->size() : 0));
    api_->curl_easy_setopt(c, CURLOPT_READFUNCTION, &Exchange::Read);
    api_->curl_easy_setopt(c, CURLOPT_READDATA, &ex);
    api_->curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, &Exchange::Seek);
    api_->curl_easy_setopt(c, CURLOPT_SEEKDATA, &ex);
    if (m != "PUT") api_->curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m.c_str());
    ex.headers = api_->curl_slist_append(ex.headers, "Expect:");
  } else if (m != "GET") {
    api_->curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m.c_str());
  }
}

Result<HttpResponse> HttpTransport::Send(const HttpRequest& request) {
  if (auto opened = Open(); !opened) {
    Error e = opened.error();
    e.message = Describe(request) + ": " + e.message;
    return std::unexpected(std::move(e));
  }
  Exchange ex;
  ex.api = api_;
  ex.request = &request;
  ex.body_limit = options_.body_limit;
  ex.stop = stop_;
  ex.curl = static_cast<CURL*>(curl_);
  api_->curl_easy_reset(ex.curl);  // keeps the connection cache
  Configure(request, ex);
  const CURLcode code = api_->curl_easy_perform(ex.curl);
  api_->curl_easy_setopt(ex.curl, CURLOPT_HTTPHEADER, nullptr);
  const std::string what = Describe(request);
  if (code == CURLE_OK) {
    api_->curl_easy_getinfo(ex.curl, CURLINFO_RESPONSE_CODE, &ex.response.status);
    return std::move(ex.response);
  }
  if (code == CURLE_ABORTED_BY_CALLBACK && stop_ && stop_->stop_requested()) {
    return Fail(ErrorKind::kCancelled, what + ": cancelled");
  }
  if (code == CURLE_ABORTED_BY_CALLBACK && ex.gave_up) {
    return Fail(ErrorKind::kCancelled, what + ": ended by the caller");
  }
  if (ex.read_errno != 0) {
    return std::unexpected(ErrnoError(ex.read_errno, what + ": cannot read the upload"));
  }
  if (ex.sink_refused) return Fail(ErrorKind::kInfrastructure, what + ": download aborted");
  return Fail(ErrorKind::kInfrastructure, what + ": " + FailureDetail(code, ex), !Permanent(code));
}

std::string HttpTransport::Describe(const HttpRequest& request) const {
  if (options_.unix_socket.empty()) return request.method + " " + ForMessage(request.url);
  // The URL's host means nothing over a socket: "GET /v1.41/_ping over unix socket /run/x.sock".
  const std::string url = ForMessage(request.url);
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  return request.method + " " + (path == std::string::npos ? "/" : url.substr(path)) +
         " over unix socket " + options_.unix_socket;
}

std::string HttpTransport::FailureDetail(int code, const Exchange& ex) const {
  if (code == CURLE_COULDNT_CONNECT && !options_.unix_socket.empty()) {
    // curl's own text names "localhost port 80" for a socket; the errno says what went wrong.
    long err = 0;
    api_->curl_easy_getinfo(ex.curl, CURLINFO_OS_ERRNO, &err);
    return err != 0 ? "cannot connect: " + ErrnoText(static_cast<int>(err)) : "cannot connect";
  }
  return ex.error[0] ? ex.error : api_->curl_easy_strerror(static_cast<CURLcode>(code));
}

}  // namespace raibid
