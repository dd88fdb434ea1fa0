// The few URL operations the registry protocol needs: splitting a registry URL, resolving the
// `Location` a registry answers with (absolute, or relative to the request), and adding query
// parameters to a URL that may already carry a query (upload URLs hold the registry's state).
#pragma once

#include <string>
#include <string_view>

#include "util/error.h"

namespace raibid {

struct HttpUrl {
  std::string scheme;     // "http" or "https", lower-cased
  std::string authority;  // "host" or "host:port", lower-cased; never user info
  std::string path;       // "/..." with any query; "" for the root

  std::string origin() const { return scheme + "://" + authority; }
  std::string ToString() const { return origin() + path; }
};

// Accepts only http:// and https:// URLs with a host. User info ("user:pw@") is refused so a
// credential never travels inside a URL (and so into a log line). kConfig on failure.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

// The URL a `Location` header points at, relative to the URL of the request it answered.
std::string ResolveLocation(std::string_view request_url, std::string_view location);

// `url` with "key=value" appended, joined by '&' when the URL has a query already, else by '?'.
// The value is percent-encoded.
std::string AppendQuery(std::string_view url, std::string_view key, std::string_view value);

// Percent-encodes everything except RFC 3986's unreserved characters.
std::string PercentEncode(std::string_view text);

// `url` without any "user:password@" in its authority (for annotations and messages).
std::string WithoutUserInfo(std::string_view url);

// Whether `a` and `b` have the same scheme and authority (credentials go only to the origin
// they were configured for).
bool SameOrigin(std::string_view a, std::string_view b);

}  // namespace raibid
