#include "source/repository_url.h"

#include <array>
#include <cstdint>
#include <cstdio>

namespace raibid {
namespace {

constexpr std::array<std::string_view, 4> kSchemes = {"https://", "http://", "ssh://", "file://"};

std::unexpected<Error> Invalid(std::string_view why) {
  return Fail(ErrorKind::kInvalidJob, "repository: " + std::string(why));
}

// Characters that have no business in a repository URL and would make it ambiguous in a log
// line or a git config value.
bool HasForbiddenChar(std::string_view s) {
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '\\' || c == '`') return true;
  }
  return false;
}

bool HasDotDotSegment(std::string_view path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return true;
    start = end + 1;
  }
  return false;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool IsValidSegment(std::string_view s) {
  if (s.empty() || s == "." || s == ".." || s.front() == '-' || s.front() == '.') return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

Result<std::string> ResolveShortName(std::string_view repository, std::string_view base_url) {
  size_t slash = repository.find('/');
  if (slash == std::string_view::npos ||
      repository.find('/', slash + 1) != std::string_view::npos ||
      !IsValidSegment(repository.substr(0, slash)) ||
      !IsValidSegment(repository.substr(slash + 1))) {
    return Invalid("must be \"owner/name\" or an https://, http://, ssh:// or file:// URL");
  }
  while (!base_url.empty() && base_url.back() == '/') base_url.remove_suffix(1);
  if (base_url.empty()) {
    return Invalid("\"owner/name\" needs git.base_url in the agent configuration");
  }
  std::string url = std::string(base_url) + "/" + std::string(repository);
  if (!repository.ends_with(".git")) url += ".git";
  if (auto ok = ValidateRepositoryUrl(url); !ok) return std::unexpected(ok.error());
  return url;
}

}  // namespace

Status ValidateRepositoryUrl(std::string_view url) {
  if (url.empty()) return Invalid("is empty");
  if (url.front() == '-') return Invalid("must not start with '-'");
  if (HasForbiddenChar(url)) return Invalid("contains whitespace, quotes or control characters");
  std::string_view scheme;
  for (std::string_view s : kSchemes) {
    if (url.starts_with(s)) scheme = s;
  }
  if (scheme.empty()) {
    return Invalid("unsupported URL scheme (https, http, ssh and file are allowed)");
  }
  std::string_view rest = url.substr(scheme.size());
  std::string_view authority = rest.substr(0, rest.find('/'));
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos && authority.substr(0, at).find(':') != std::string_view::npos) {
    return Invalid("URL must not embed credentials (configure git.token_file instead)");
  }
  if (scheme != "file://" && authority.empty()) return Invalid("URL has no host");
  if (rest.size() <= authority.size() + 1) return Invalid("URL has no path");
  if (HasDotDotSegment(rest.substr(authority.size()))) {
    return Invalid("URL must not contain \"..\"");
  }
  return {};
}

Result<std::string> ResolveRepositoryUrl(std::string_view repository, std::string_view base_url) {
  if (repository.empty()) return Invalid("is empty");
  if (repository.find("://") != std::string_view::npos) {
    if (auto ok = ValidateRepositoryUrl(repository); !ok) return std::unexpected(ok.error());
    return std::string(repository);
  }
  if (HasForbiddenChar(repository)) {
    return Invalid("contains whitespace, quotes or control characters");
  }
  if (repository.front() == '-') return Invalid("must not start with '-'");
  return ResolveShortName(repository, base_url);
}

std::string MirrorDirName(std::string_view url) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a: stable everywhere, collisions irrelevant here
  for (unsigned char c : url) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  std::string_view path = url;
  while (path.ends_with("/")) path.remove_suffix(1);
  if (path.ends_with(".git")) path.remove_suffix(4);
  // The last two path segments ("owner/name") make the directory recognisable to an operator.
  size_t cut = path.rfind('/');
  if (cut != std::string_view::npos && cut > 0) cut = path.rfind('/', cut - 1);
  std::string slug;
  for (char c : path.substr(cut == std::string_view::npos ? 0 : cut + 1)) {
    char l = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    slug += IsNameChar(l) && l != '.' ? l : '-';
  }
  if (slug.size() > 48) slug.erase(0, slug.size() - 48);
  while (!slug.empty() && slug.front() == '-') slug.erase(0, 1);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return (slug.empty() ? std::string("repo") : slug) + "-" + hex + ".git";
}

}  // namespace raibid
