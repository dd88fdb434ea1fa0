// The forms a secret commonly takes in build output besides its own bytes, so the masker can
// hide those too:
// - percent-encoding (RFC 3986: every byte but A-Z a-z 0-9 - . _ ~ as %XX), with upper- and
//   lower-case hex digits, and the form-encoding variant that writes a space as '+';
// - base64, standard (+/) and URL-safe (-_) alphabets, with and without '=' padding. A secret
//   inside a longer encoded text starts at byte offset 0, 1 or 2 of a 3-byte group, and the
//   characters at its edges also carry bits of its neighbours; so for each of the three
//   alignments the form kept is the run of characters that depend on the secret's bytes only,
//   plus the forms for a secret that ends the encoded text (its last characters and padding).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace raibid {

enum class Base64Alphabet { kStandard, kUrlSafe };

std::string Base64Encode(std::string_view data, Base64Alphabet alphabet, bool pad);

// `upper`: %2F rather than %2f. `plus_for_space`: ' ' as '+' rather than %20.
std::string PercentEncode(std::string_view data, bool upper, bool plus_for_space);

// The encoded forms of `secret` listed above, without duplicates and without `secret` itself.
std::vector<std::string> EncodedForms(std::string_view secret);

}  // namespace raibid
