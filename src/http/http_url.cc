#include "http/http_url.h"

#include <algorithm>
#include <cctype>

#include "util/text.h"

namespace raibid {
namespace {

// "scheme://authority" prefix length of an absolute URL, or 0.
size_t OriginLength(std::string_view url) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return 0;
  const size_t end = url.find_first_of("/?#", sep + 3);
  return end == std::string_view::npos ? url.size() : end;
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return Fail(ErrorKind::kConfig,
                "'" + std::string(url) + "' is not a URL (want http(s)://host)");
  }
  HttpUrl out;
  out.scheme = Lower(url.substr(0, sep));
  if (out.scheme != "http" && out.scheme != "https") {
    return Fail(ErrorKind::kConfig, "URL scheme '" + out.scheme + "' is not http or https");
  }
  const size_t end = OriginLength(url);
  const std::string_view authority = url.substr(sep + 3, end - sep - 3);
  if (authority.empty()) return Fail(ErrorKind::kConfig, "URL has no host");
  if (authority.find('@') != std::string_view::npos) {
    return Fail(ErrorKind::kConfig, "URL must not carry credentials; configure them separately");
  }
  out.authority = Lower(authority);
  out.path = std::string(url.substr(end));
  while (out.path == "/") out.path.clear();
  return out;
}

std::string ResolveLocation(std::string_view request_url, std::string_view location) {
  if (location.find("://") != std::string_view::npos &&
      location.find("://") < location.find_first_of("/?")) {
    return std::string(location);
  }
  const std::string_view origin = request_url.substr(0, OriginLength(request_url));
  if (location.starts_with("//")) {
    return std::string(origin.substr(0, origin.find("://") + 1)) + std::string(location);
  }
  if (location.starts_with("/")) return std::string(origin) + std::string(location);
  // Relative to the request's directory, without its query.
  std::string_view path = request_url.substr(origin.size());
  path = path.substr(0, path.find_first_of("?#"));
  path = path.substr(0, path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  return std::string(origin) + (path.empty() ? "/" : std::string(path)) + std::string(location);
}

std::string AppendQuery(std::string_view url, std::string_view key, std::string_view value) {
  std::string out(url.substr(0, url.find('#')));
  if (out.find('?') == std::string::npos) {
    out += '?';
  } else if (out.back() != '?' && out.back() != '&') {
    out += '&';
  }
  return out + std::string(key) + "=" + PercentEncode(value);
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string WithoutUserInfo(std::string_view url) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::string(url);
  const size_t end = OriginLength(url);
  const size_t at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < sep) return std::string(url);
  return std::string(url.substr(0, sep + 3)) + std::string(url.substr(at + 1));
}

bool SameOrigin(std::string_view a, std::string_view b) {
  return Lower(a.substr(0, OriginLength(a))) == Lower(b.substr(0, OriginLength(b)));
}

}  // namespace raibid
