#include "util/secret_encodings.h"

#include <algorithm>

namespace raibid {
namespace {

constexpr std::string_view kStandard =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlSafe =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void AddUnique(std::vector<std::string>& out, std::string form) {
  if (form.empty() || std::find(out.begin(), out.end(), form) != out.end()) return;
  out.push_back(std::move(form));
}

// The three forms of `secret` preceded by `offset` (0-2) bytes of a longer text, in base64.
void AddShifted(std::vector<std::string>& out, std::string_view secret, size_t offset,
                Base64Alphabet alphabet) {
  // The value of the bytes before the secret does not matter: the characters that carry their
  // bits are cut off below.
  const std::string shifted = std::string(offset, '\0') + std::string(secret);
  const std::string unpadded = Base64Encode(shifted, alphabet, false);
  const std::string padded = Base64Encode(shifted, alphabet, true);
  // Characters 0..lead-1 carry bits of the preceding bytes (8 * offset bits, 6 per character).
  const size_t lead = (8 * offset + 5) / 6;
  // With a partial last group, the last character also carries bits of whatever follows.
  const size_t trail = shifted.size() % 3 == 0 ? 0 : 1;
  if (unpadded.size() < lead + trail) return;
  AddUnique(out, unpadded.substr(lead, unpadded.size() - lead - trail));  // inside a text
  AddUnique(out, unpadded.substr(lead));                                  // ends the text
  AddUnique(out, padded.substr(lead));                                    // ... and padded
}

}  // namespace

std::string Base64Encode(std::string_view data, Base64Alphabet alphabet, bool pad) {
  const std::string_view chars = alphabet == Base64Alphabet::kStandard ? kStandard : kUrlSafe;
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = static_cast<uint8_t>(data[i]) << 16 |
                       static_cast<uint8_t>(data[i + 1]) << 8 | static_cast<uint8_t>(data[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += chars[(v >> shift) & 63];
  }
  const size_t rest = data.size() - i;
  if (rest == 0) return out;
  uint32_t v = static_cast<uint8_t>(data[i]) << 16;
  if (rest == 2) v |= static_cast<uint8_t>(data[i + 1]) << 8;
  out += chars[(v >> 18) & 63];
  out += chars[(v >> 12) & 63];
  if (rest == 2) out += chars[(v >> 6) & 63];
  if (pad) out.append(3 - rest, '=');
  return out;
}

std::string PercentEncode(std::string_view data, bool upper, bool plus_for_space) {
  const char* hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 3);
  for (const char ch : data) {
    const auto c = static_cast<unsigned char>(ch);
    if (Unreserved(c)) {
      out += ch;
    } else if (c == ' ' && plus_for_space) {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::vector<std::string> EncodedForms(std::string_view secret) {
  std::vector<std::string> out;
  if (secret.empty()) return out;
  for (const bool upper : {true, false}) {
    for (const bool plus : {false, true}) AddUnique(out, PercentEncode(secret, upper, plus));
  }
  for (const auto alphabet : {Base64Alphabet::kStandard, Base64Alphabet::kUrlSafe}) {
    for (size_t offset = 0; offset < 3; ++offset) AddShifted(out, secret, offset, alphabet);
  }
  std::erase(out, std::string(secret));
  return out;
}

}  // namespace raibid
