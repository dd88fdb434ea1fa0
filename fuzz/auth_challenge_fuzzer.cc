// `WWW-Authenticate` headers from a registry (or anything posing as one). The input is split at
// newlines into several headers for PickChallenge, and parsed whole by ParseAuthChallenges.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "registry/auth_challenge.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto lower = [](const std::string& s) {
    for (char ch : s) {
      if (std::isupper(static_cast<unsigned char>(ch))) return false;
    }
    return true;
  };
  for (const auto& c : raibid::ParseAuthChallenges(text)) {
    FUZZ_CHECK(!c.scheme.empty(), "a challenge has a scheme");
    FUZZ_CHECK(lower(c.scheme), "the scheme is lower-cased");
    for (const auto& [name, value] : c.params) FUZZ_CHECK(lower(name), "names are lower-cased");
  }
  std::vector<std::string> headers;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    headers.emplace_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  if (auto picked = raibid::PickChallenge(headers)) {
    FUZZ_CHECK(picked->scheme == "bearer" || picked->scheme == "basic", "picked a known scheme");
  }
  return 0;
}
