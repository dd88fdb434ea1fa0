#include "util/env_name.h"

namespace raibid {
namespace {

// Not std::isalpha: its answer depends on the locale, and a name must mean the same everywhere.
bool IsLetterOrUnderscore(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

}  // namespace

bool IsEnvName(std::string_view name) {
  if (name.empty() || !IsLetterOrUnderscore(name[0])) return false;
  for (char c : name) {
    if (!IsLetterOrUnderscore(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace raibid
