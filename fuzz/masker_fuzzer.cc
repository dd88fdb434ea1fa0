// The log masker: whatever a step prints, no registered secret comes out, neither its own bytes
// nor one of its encoded forms (secret_encodings.h), and masking a stream fed in pieces
// (MaskingStream) gives byte for byte what masking the whole text gives (Masker::Apply).
//
// The secrets are a fixed set shaped like the agent's (a git token, a registry password with
// punctuation, a bearer token, a base64 auth value, two that overlap each other), plus one the
// input chooses: its first line, when it is 4 to 64 bytes long. The input is then fed to a
// stream in pieces whose sizes come from a hash of the input, and once byte by byte.
//
// A form that could be made partly of the mask text itself ("D]x" or "ab[": masking "ab[" in
// "abab[" gives "ab[MASKED]", which holds "ab[" without revealing anything) is not checked.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "util/masker.h"
#include "util/masking_stream.h"
#include "util/secret_encodings.h"

namespace {

const std::vector<std::string>& FixedSecrets() {
  static const std::vector<std::string> secrets = {
      "ghp_16C7e42F292c6912E7710c838347Ae178B4a",  // a git token
      "p@ss:w0rd/with%chars and space",            // a registry password
      "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.sig",  // a bearer token
      "cmFpYmlkOnNlY3JldA==",                      // base64 "raibid:secret"
      "abcdabce",                                  // self-overlapping, for the search
      "abcd",                                      // a prefix of another secret
  };
  return secrets;
}

const raibid::Masker& FixedMasker() {
  static const raibid::Masker masker = [] {
    raibid::Masker m;
    for (const auto& s : FixedSecrets()) m.Add(s);
    return m;
  }();
  return masker;
}

// Whether `s` could be formed partly by the mask text around it.
bool OverlapsMask(std::string_view s) {
  const std::string_view mask = raibid::kMasked;
  if (mask.find(s) != std::string_view::npos || s.find(mask) != std::string_view::npos) return true;
  for (size_t k = 1; k < mask.size() && k <= s.size(); ++k) {
    if (s.substr(0, k) == mask.substr(mask.size() - k)) return true;  // "...D]" + text
    if (s.substr(s.size() - k) == mask.substr(0, k)) return true;     // text + "[M..."
  }
  return false;
}

uint64_t Fnv1a(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

std::string MaskInPieces(const raibid::Masker& masker, std::string_view text, uint64_t seed) {
  raibid::MaskingStream stream(masker);
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t n = seed == 0 ? 1 : 1 + seed % 23;
    seed = seed == 0 ? 0 : (seed ^ (seed << 13)) ^ ((seed ^ (seed << 13)) >> 7);
    n = std::min(n, text.size() - pos);
    out += stream.Feed(text.substr(pos, n));
    FUZZ_CHECK(stream.held() < masker.longest() || masker.longest() == 0, "kept back too much");
    pos += n;
  }
  out += stream.Finish();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> secrets = FixedSecrets();
  raibid::Masker masker = FixedMasker();  // copies share the built patterns
  const size_t nl = text.find('\n');
  if (nl != std::string_view::npos && nl >= 4 && nl <= 64) {
    std::string chosen(text.substr(0, nl));
    if (chosen.back() != '\r' && !OverlapsMask(chosen)) {
      secrets.push_back(chosen);
      masker.Add(chosen);
    }
  }

  const std::string out = masker.Apply(text);
  for (const auto& s : secrets) {
    FUZZ_CHECK(out.find(s) == std::string::npos, "a secret survived masking");
    for (const auto& form : raibid::EncodedForms(s)) {
      if (OverlapsMask(form)) continue;
      FUZZ_CHECK(out.find(form) == std::string::npos, "an encoded secret survived masking");
    }
  }
  FUZZ_CHECK(MaskInPieces(masker, text, Fnv1a(text) | 1) == out, "stream in pieces != Apply");
  FUZZ_CHECK(MaskInPieces(masker, text, 0) == out, "stream byte by byte != Apply");
  return 0;
}
