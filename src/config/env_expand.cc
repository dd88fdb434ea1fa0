#include "config/env_expand.h"

#include <cstdlib>
#include <vector>

#include "util/env_name.h"

namespace raibid {
namespace {

constexpr int kMaxNesting = 16;
constexpr size_t kNoMatch = std::string_view::npos;

// For every '{', the index of its matching '}' (kNoMatch when unbalanced), in one pass, so a text
// full of unclosed "${" costs linear time.
std::vector<size_t> MatchBraces(std::string_view text) {
  std::vector<size_t> match(text.size(), kNoMatch);
  std::vector<size_t> open;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      open.push_back(i);
    } else if (text[i] == '}' && !open.empty()) {
      match[open.back()] = i;
      open.pop_back();
    }
  }
  return match;
}

std::string Expand(std::string_view text, const EnvLookup& lookup, int depth);

// The replacement for the inside of "${...}", or nullopt for syntax we leave alone.
std::optional<std::string> Reference(std::string_view inner, const EnvLookup& lookup, int depth) {
  const size_t op = inner.find(":-");
  const std::string_view name = inner.substr(0, op);
  if (!IsEnvName(name)) return std::nullopt;
  std::optional<std::string> value = lookup(std::string(name));
  if (op == kNoMatch) return value.value_or("");
  if (value && !value->empty()) return value;
  if (depth >= kMaxNesting) return std::nullopt;
  return Expand(inner.substr(op + 2), lookup, depth + 1);
}

std::string Expand(std::string_view text, const EnvLookup& lookup, int depth) {
  if (text.find('$') == kNoMatch) return std::string(text);
  const std::vector<size_t> match = MatchBraces(text);
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const bool dollar = text[i] == '$' && i + 1 < text.size();
    if (dollar && text[i + 1] == '$') {
      out += "$$";
      i += 2;
      continue;
    }
    if (dollar && text[i + 1] == '{' && match[i + 1] != kNoMatch) {
      const size_t close = match[i + 1];
      if (auto value = Reference(text.substr(i + 2, close - i - 2), lookup, depth)) {
        out += *value;
        i = close + 1;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

}  // namespace

std::string ExpandEnv(std::string_view text, const EnvLookup& lookup) {
  return Expand(text, lookup, 0);
}

EnvLookup ProcessEnvLookup() {
  return [](const std::string& name) -> std::optional<std::string> {
    // NOLINTNEXTLINE(concurrency-mt-unsafe): the agent never sets variables (no setenv/putenv)
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

EnvLookup MapEnvLookup(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace raibid
