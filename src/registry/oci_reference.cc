#include "registry/oci_reference.h"

#include <algorithm>
#include <cctype>

#include "util/text.h"

namespace raibid {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// [a-z0-9]+ joined by exactly ".", "_", "__" or a run of '-'.
bool IsValidComponent(std::string_view c) {
  if (c.empty() || !IsLowerAlnum(c.front()) || !IsLowerAlnum(c.back())) return false;
  size_t i = 0;
  while (i < c.size()) {
    if (IsLowerAlnum(c[i])) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < c.size() && !IsLowerAlnum(c[j])) ++j;
    const std::string_view sep = c.substr(i, j - i);
    const bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
    i = j;
  }
  return true;
}

bool IsValidHost(std::string_view host) {
  if (host.empty()) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return IsLowerAlnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  });
}

std::string SanitizeTag(std::string tag) {
  for (char& c : tag) {
    if (!IsLowerAlnum(c) && c != '_' && c != '.' && c != '-') c = '-';
  }
  if (!tag.empty() && (tag.front() == '.' || tag.front() == '-')) tag.insert(0, "_");
  if (tag.size() > 128) tag.resize(128);
  return tag;
}

Result<std::string> Placeholder(std::string_view key, const ReferenceFields& f) {
  std::string repo = RepositoryPath(f.repository);
  const size_t slash = repo.rfind('/');
  if (key == "registry") return f.registry;
  if (key == "repository") return repo;
  if (key == "owner") return slash == std::string::npos ? std::string() : repo.substr(0, slash);
  if (key == "name") return slash == std::string::npos ? repo : repo.substr(slash + 1);
  if (key == "job_id") return f.job_id;
  if (key == "revision") return f.revision;
  if (key == "short_revision") return f.revision.substr(0, 8);
  if (key == "branch") return f.branch;
  return Fail(ErrorKind::kConfig,
              "reference template: unknown placeholder {" + std::string(key) + "}");
}

}  // namespace

bool IsValidRepository(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  size_t start = 0;
  while (true) {
    const size_t slash = name.find('/', start);
    if (!IsValidComponent(name.substr(start, slash - start))) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool IsValidTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(tag.front())) return false;
  return std::all_of(tag.begin(), tag.end(),
                     [&](char c) { return word(c) || c == '.' || c == '-'; });
}

std::string RepositoryPath(std::string_view repo) {
  if (const size_t scheme = repo.find("://"); scheme != std::string_view::npos) {
    repo.remove_prefix(scheme + 3);
    const size_t slash = repo.find('/');
    repo = slash == std::string_view::npos ? std::string_view() : repo.substr(slash + 1);
  }
  while (repo.ends_with("/")) repo.remove_suffix(1);
  if (repo.ends_with(".git")) repo.remove_suffix(4);
  while (repo.starts_with("/")) repo.remove_prefix(1);
  return std::string(repo);
}

Result<ImageReference> ParseReference(std::string_view reference) {
  const std::string text(reference);
  const size_t slash = text.find('/');
  if (slash == std::string::npos) {
    return Fail(ErrorKind::kInvalidJob, "reference '" + text + "' names no registry host");
  }
  ImageReference ref{.registry = text.substr(0, slash)};
  std::string rest = text.substr(slash + 1);
  const size_t colon = rest.rfind(':');
  ref.repository = rest.substr(0, colon);
  ref.tag = colon == std::string::npos ? "latest" : rest.substr(colon + 1);
  if (!IsValidHost(ref.registry) || !IsValidRepository(ref.repository) || !IsValidTag(ref.tag)) {
    return Fail(ErrorKind::kInvalidJob,
                "'" + text + "' is not a valid OCI reference (host/owner/name:tag, lower-case)");
  }
  return ref;
}

Result<ImageReference> ExpandReference(std::string_view tmpl, const ReferenceFields& fields) {
  std::string out;
  for (size_t i = 0; i < tmpl.size();) {
    if (tmpl[i] != '{') {
      out += tmpl[i++];
      continue;
    }
    const size_t close = tmpl.find('}', i);
    if (close == std::string_view::npos) {
      return Fail(ErrorKind::kConfig, "reference template '" + std::string(tmpl) + "': unclosed {");
    }
    auto value = Placeholder(tmpl.substr(i + 1, close - i - 1), fields);
    if (!value) return std::unexpected(value.error());
    out += *value;
    i = close + 1;
  }
  out = Lower(std::move(out));
  const size_t slash = out.find('/');
  const size_t colon = out.rfind(':');
  if (slash == std::string::npos || colon == std::string::npos || colon < slash) {
    return Fail(ErrorKind::kConfig,
                "reference template '" + std::string(tmpl) + "' must give host/repository:tag");
  }
  return ParseReference(out.substr(0, colon + 1) + SanitizeTag(out.substr(colon + 1)));
}

}  // namespace raibid
