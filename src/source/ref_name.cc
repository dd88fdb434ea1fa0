#include "source/ref_name.h"

#include <string>

namespace raibid {
namespace {

std::unexpected<Error> Invalid(std::string_view field, std::string_view ref, std::string_view why) {
  std::string msg(field);
  bool printable = true;
  for (unsigned char c : ref) printable = printable && c >= 0x20 && c < 0x7f;
  if (printable && ref.size() <= 256) msg += " \"" + std::string(ref) + "\"";
  return Fail(ErrorKind::kInvalidJob, msg + ": " + std::string(why));
}

bool IsForbiddenChar(unsigned char c) {
  if (c < 0x20 || c == 0x7f) return true;
  switch (c) {
    case ' ':
    case '~':
    case '^':
    case ':':
    case '?':
    case '*':
    case '[':
    case '\\':
      return true;
    default:
      return false;
  }
}

// The per-component rules: no leading '.', no trailing ".lock".
std::string_view ComponentProblem(std::string_view component) {
  if (component.empty()) return "must not contain \"//\"";
  if (component.front() == '.') return "a path component must not start with '.'";
  if (component.ends_with(".lock")) return "a path component must not end with \".lock\"";
  return {};
}

}  // namespace

Status ValidateCommit(std::string_view sha) {
  if (sha.size() < 4 || sha.size() > 40) {
    return Invalid("commit", sha, "must be 4 to 40 hexadecimal characters");
  }
  for (char c : sha) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return Invalid("commit", sha, "must be 4 to 40 hexadecimal characters");
  }
  return {};
}

Status ValidateRefName(std::string_view field, std::string_view ref) {
  if (ref.empty()) return Invalid(field, ref, "is empty");
  if (ref.size() > 255) return Invalid(field, ref, "is longer than 255 characters");
  if (ref.front() == '-') return Invalid(field, ref, "must not start with '-'");
  if (ref == "@") return Invalid(field, ref, "must not be \"@\"");
  for (unsigned char c : ref) {
    if (IsForbiddenChar(c)) {
      return Invalid(field, ref, "must not contain control characters, space or any of ~^:?*[\\");
    }
  }
  if (ref.find("..") != std::string_view::npos) {
    return Invalid(field, ref, "must not contain \"..\"");
  }
  if (ref.find("@{") != std::string_view::npos) {
    return Invalid(field, ref, "must not contain \"@{\"");
  }
  if (ref.front() == '/' || ref.back() == '/') {
    return Invalid(field, ref, "must not start or end with '/'");
  }
  if (ref.back() == '.') return Invalid(field, ref, "must not end with '.'");
  size_t start = 0;
  while (start <= ref.size()) {
    size_t end = ref.find('/', start);
    if (end == std::string_view::npos) end = ref.size();
    if (auto why = ComponentProblem(ref.substr(start, end - start)); !why.empty()) {
      return Invalid(field, ref, why);
    }
    start = end + 1;
  }
  return {};
}

Status ValidateRefs(std::string_view commit, std::string_view branch, std::string_view tag) {
  if (commit.empty() && branch.empty() && tag.empty()) {
    return Fail(ErrorKind::kInvalidJob, "commit, branch or tag: at least one is required");
  }
  if (!commit.empty()) {
    if (auto ok = ValidateCommit(commit); !ok) return ok;
  }
  if (!branch.empty()) {
    if (auto ok = ValidateRefName("branch", branch); !ok) return ok;
  }
  if (!tag.empty()) {
    if (auto ok = ValidateRefName("tag", tag); !ok) return ok;
  }
  return {};
}

}  // namespace raibid
